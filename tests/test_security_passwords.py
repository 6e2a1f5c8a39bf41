"""Password rules: nothing like the account's own names (case changed, reversed, digits and punctuation around),
and nothing from the list of common passwords that ships with the project (Django's, with common Chinese-context
ones: pinyin with digits, keyboard runs, the usual administrator passwords)."""

import gzip
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from security.validators import CommonPasswordsValidator, NotLikeTheAccountValidator
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def forestry(db):
    return make_user("forestry", first_name="Mulan", last_name="Hua", email="mulan.hua@lyyl.gz.gov.cn")


def codes(password, user) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {e.code for e in error.error_list}
    return set()


@pytest.mark.parametrize("password", [
    "forestry-Forestry1", "Forestry2024!!", "FORESTRY#2024x", "yrtseroF#2024", "2024@Forestry@2024",
    "F0restry!2024", "fo-rest-ry_2024X", "Mulan-Hua-2024", "2024!mulanhua", "HUA#mulan#99",
])
def test_variants_of_the_account_are_refused(forestry, password):
    assert "password_like_account" in codes(password, forestry)


def test_a_strong_password_is_accepted(forestry):
    assert codes("Copper-Kettle-Rain-58", forestry) == set()
    assert codes(PASSWORD.title(), forestry) == set()


def test_short_names_are_not_held_against_a_password(db):
    user = make_user("li", first_name="强", last_name="李", email="li@gz.gov.cn")
    assert NotLikeTheAccountValidator().validate("Lichen-Moss-Stone-58", user) is None


@pytest.mark.parametrize("password", [
    "Woaini1314!", "woaini@1314", "Admin@123456", "P@ssw0rd2024!", "Zhangwei@1988", "1qaz@WSX3edc",
    "Guangzhou@2024", "!!Qwertyuiop12", "Huawei12345!", "5201314Aa!",
])
def test_common_passwords_are_refused(forestry, password):
    assert "password_too_common" in codes(password, forestry)


def test_the_list_ships_with_the_project_and_holds_the_chinese_ones():
    options = next(v["OPTIONS"] for v in settings.AUTH_PASSWORD_VALIDATORS
                   if v["NAME"] == "security.validators.CommonPasswordsValidator")
    project_list = Path(options["extra_list_path"])
    assert project_list.is_file() and project_list.is_relative_to(Path(settings.BASE_DIR))
    words = {line.strip() for line in project_list.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")}
    assert {"woaini", "zhangwei", "1qaz2wsx", "guangzhou"} <= words
    with gzip.open(CommonPasswordsValidator().DEFAULT_PASSWORD_LIST_PATH, "rt") as django_list:
        assert "zhangwei" not in {line.strip() for line in django_list}, "the project's list adds to Django's"
    assert len(words) < 2000, "small enough to read and keep"


def test_the_password_change_page_says_why(client, forestry):
    client.force_login(forestry)
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "forestry-Forestry1",
                                                         "new_password2": "forestry-Forestry1"})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["new_password2"])
    assert "user name" in errors or "用户名" in errors
