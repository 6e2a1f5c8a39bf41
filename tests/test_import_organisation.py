"""Bureaus, nominee units and user accounts: the importers, the command, and the admin's import-export pages."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.urls import reverse

from incentives.errors import DomainError
from measures.importing.organisation import (
    bureaus_import,
    plan_bureaus,
    plan_units,
    plan_users,
    units_import,
    users_import,
)
from organisation.models import Bureau, Membership, Unit, UnitKind

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_bureaus_new_changed_unchanged(administrator):
    data = ("short_name,full_name,full_name_confirmed\n"
            "市水务局,广州市水务局,yes\n"
            "水务局X,广州市水务局X,no\n"
            " 市财政局 ,广州市财政局,no\n").encode()
    plan = plan_bureaus(data, filename="b.csv")
    assert [(r.key, r.status) for r in plan.rows] == [("市水务局", "unchanged"), ("水务局X", "new"), ("市财政局", "changed")]
    bureaus_import(actor=administrator, plan=plan)
    created = Bureau.objects.get(short_name="水务局X")
    assert created.group is not None and not created.full_name_confirmed
    assert not Bureau.objects.get(short_name="市财政局").full_name_confirmed


def test_units_with_streets_under_a_district_created_by_the_same_file(administrator):
    data = ("name,kind,parent,division_order\n"
            "新区,区,,1200\n"
            "新街道,street,新区,1201\n"
            "沙面街道,街道(镇),荔湾区,301\n").encode()
    plan = plan_units(data, filename="u.csv")
    assert plan.is_valid, plan.all_errors
    units_import(actor=administrator, plan=plan)
    street = Unit.objects.get(name="新街道")
    assert street.parent.name == "新区" and street.kind_id == UnitKind.STREET
    assert Unit.objects.get(name="沙面街道").parent.name == "荔湾区"
    again = plan_units(data, filename="u.csv")
    assert again.counts()["unchanged"] == 3


def test_units_one_bad_row_changes_nothing(administrator):
    count = Unit.objects.count()
    data = "name,kind,parent\n甲,区,\n乙,planet,\n丙,street,无此区\n甲,区,\n".encode()
    plan = plan_units(data, filename="u.csv")
    errors = {(e.row, e.column) for e in plan.all_errors}
    assert errors == {(3, "kind"), (4, "parent"), (5, "name")}
    with pytest.raises(DomainError):
        units_import(actor=administrator, plan=plan)
    assert Unit.objects.count() == count


def test_users_with_their_memberships(administrator, clerk_water, bureau):
    data = ("username,first_name,email,role,bureaus\n"
            "newclerk,新人,new@example.gov.cn,bureau_staff,水务局、广州市林业和园林局\n"
            "wangfang,王芳,,bureau_staff,市发展改革委\n").encode()
    plan = plan_users(data, filename="users.csv")
    assert plan.is_valid, plan.all_errors
    assert [r.status for r in plan.rows] == ["new", "changed"]
    users_import(actor=administrator, plan=plan)
    newcomer = User.objects.get(username="newclerk")
    assert not newcomer.has_usable_password()
    assert set(Membership.objects.filter(user=newcomer).values_list("bureau__short_name", flat=True)) == {"市水务局", "市林业园林局"}
    assert list(Membership.objects.filter(user=clerk_water).values_list("bureau__short_name", flat=True)) == ["市发展改革委"]
    assert newcomer.groups.filter(name="bureau_staff").exists()
    assert newcomer.groups.filter(pk=bureau("市水务局").group_id).exists()


def test_users_unknown_bureau_is_an_error_with_suggestions():
    plan = plan_users("username,bureaus\nsomeone,市水物局\n".encode(), filename="u.csv")
    assert not plan.is_valid
    assert "市水务局" in plan.all_errors[0].message


def test_import_organisation_command(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("name,kind\n命令区,区\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_organisation", "units", str(path), stdout=out)
    assert "Created 1" in out.getvalue() and Unit.objects.filter(name="命令区").exists()
    path.write_text("name,kind\n坏,nothing\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_organisation", "units", str(path), stdout=out)
    assert "row 2, column kind" in out.getvalue()


def test_import_export_permission_is_for_administrators_only(administrator, reviewer):
    from django.contrib import admin

    request = RequestFactory().get("/")
    for model in (Bureau, Unit, User):
        model_admin = admin.site._registry[model]
        request.user = administrator
        assert model_admin.has_import_permission(request)
        request.user = reviewer
        assert not model_admin.has_import_permission(request)


def test_admin_bureau_import_preview_confirm_through_the_planner(client, administrator):
    client.force_login(administrator)
    url = reverse("admin:organisation_bureau_import")
    assert client.get(url).status_code == 200
    assert url in client.get(reverse("admin:organisation_bureau_changelist")).content.decode()
    data = "short_name,full_name,full_name_confirmed,order,is_active\n市新局,广州市新局,1,99,1\n".encode()
    response = client.post(url, {"file": SimpleUploadedFile("b.csv", data)})
    assert response.status_code == 200 and response.context["token"]
    assert response.context["counts"]["new"] == 1
    assert not Bureau.objects.filter(short_name="市新局").exists()
    response = client.post(url, {"token": response.context["token"], "confirm": "1"})
    assert response.status_code == 302
    created = Bureau.objects.get(short_name="市新局")
    assert created.order == 99 and created.group is not None
    from organisation.models import AuditEntry

    assert AuditEntry.objects.filter(action="bureau.imported", target_id=created.pk).exists()


def test_admin_import_refuses_a_formula_with_its_cell(client, administrator):
    client.force_login(administrator)
    data = "short_name,full_name\n市新局,=HYPERLINK(\"x\")\n".encode()
    response = client.post(reverse("admin:organisation_bureau_import"), {"file": SimpleUploadedFile("b.csv", data)})
    assert "B2" in response.content.decode() and "token" not in response.context
    assert not Bureau.objects.filter(short_name="市新局").exists()


def test_admin_import_is_for_administrators_only(client, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("admin:organisation_bureau_import"))
    assert response.status_code in (302, 403)


def test_admin_users_export_neutralises_formulas(client, administrator):
    from measures.resources import UserResource

    make = User.objects.create(username="evil", first_name="=cmd|' /C calc'!A0")
    dataset = UserResource().export(User.objects.filter(pk=make.pk))
    assert dataset.dict[0]["first_name"] == "'=cmd|' /C calc'!A0"


def test_admin_users_import_memberships_and_refuses_unknown_bureaus(client, administrator, bureau):
    client.force_login(administrator)
    url = reverse("admin:auth_user_import")
    good = "username,first_name,role,bureaus\nresclerk,新,bureau_staff,水务局、市财政局\n".encode()
    response = client.post(url, {"file": SimpleUploadedFile("u.csv", good)})
    response = client.post(url, {"token": response.context["token"], "confirm": "1"})
    assert response.status_code == 302
    person = User.objects.get(username="resclerk")
    assert set(person.memberships.values_list("bureau__short_name", flat=True)) == {"市水务局", "市财政局"}
    assert not person.has_usable_password()
    bad = "username,first_name,role,bureaus\nresclerk2,,,市水物局\n".encode()
    response = client.post(url, {"file": SimpleUploadedFile("u.csv", bad)})
    assert "token" not in response.context
    errors = [error for row in response.context["invalid_rows"] for error in row.errors]
    assert (errors[0].row, errors[0].column) == (2, "bureaus") and "市水务局" in errors[0].message
    assert not User.objects.filter(username="resclerk2").exists()
