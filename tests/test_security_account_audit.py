"""Every change of an account is an audit record (who, old and new), and so is every second-factor device and
recovery code, every export, every sign-in tried on a locked account and every refusal of the access door. A lost
phone's recovery codes go with its authenticator."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from organisation import roles
from organisation.models import AuditEntry
from organisation.services import user_roles_set
from security import services as security_services
from security.signals import REFUSALS_RECORDED_PER_MINUTE
from tests.factories import PASSWORD, make_user
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def security_admin(db):
    return make_user("secadmin", role=roles.SECURITY_ADMINISTRATOR)


def records(user, action):
    return list(AuditEntry.objects.filter(target_type__model="user", target_id=user.pk, action=action).order_by("id"))


def test_a_change_in_the_admin_records_each_field_with_old_and_new(client, security_admin, clerk_water):
    client.force_login(security_admin)
    url = reverse("admin:auth_user_change", args=[clerk_water.pk])
    data = admin_form_data(client.get(url))
    old_email = clerk_water.email
    data.update({"email": "wang.fang@water.gz.gov.cn", "first_name": "王芳芳", "last_name": "王"})
    data.pop("is_active")
    assert client.post(url, data).status_code == 302
    [email] = records(clerk_water, "account.email_changed")
    assert email.actor == security_admin and email.data == {"old": old_email, "new": "wang.fang@water.gz.gov.cn"}
    [name] = records(clerk_water, "account.name_changed")
    assert name.data["old"][0] == "王芳" and name.data["new"] == ["王芳芳", "王"]
    [off] = records(clerk_water, "account.deactivated")
    assert off.actor == security_admin


def test_a_change_made_in_a_shell_is_recorded_too(clerk_water):
    clerk_water.is_superuser = True
    clerk_water.save()
    [superuser] = records(clerk_water, "account.superuser_changed")
    assert superuser.actor is None and superuser.data == {"old": False, "new": True}
    assert records(clerk_water, "account.staff_changed")[-1].data == {"old": False, "new": True}
    clerk_water.is_active = False
    clerk_water.save(update_fields=["is_active"])
    clerk_water.is_active = True
    clerk_water.save()
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="account.", target_id=clerk_water.pk,
                                                        action__in=["account.activated", "account.deactivated"])
            .order_by("id")] == ["account.deactivated", "account.activated"]


def test_a_sign_in_writes_no_account_change_record(client, clerk_water):
    client.post(reverse("login"), {"username": clerk_water.username, "password": PASSWORD})
    assert not AuditEntry.objects.filter(target_id=clerk_water.pk, action__in=[
        "account.name_changed", "account.email_changed", "account.activated"]).exists()


def test_staff_status_following_a_role_is_recorded(security_admin, clerk_water):
    user_roles_set(actor=security_admin, user=clerk_water, role_names={roles.SYSTEM_ADMINISTRATOR})
    [staff] = records(clerk_water, "account.staff_changed")
    assert staff.actor is None or staff.actor == security_admin
    assert staff.data == {"old": False, "new": True}


# --- devices and recovery codes -----------------------------------------------------------------------------------

def _enrol(user) -> list[str]:
    key = default_key()
    code = f"{TOTP(bytes.fromhex(key)).token():06d}"
    _device, codes = security_services.enrol_totp(user=user, key_hex=key, token=code)
    return codes


def test_devices_added_and_recovery_codes_used_are_recorded(reviewer):
    codes = _enrol(reviewer)
    added = records(reviewer, "otp_device.added")
    assert {e.data["device"].split("/")[0] for e in added} == {"otp_totp.totpdevice", "otp_static.staticdevice"}
    assert security_services.verify_second_factor(user=reviewer, token=codes[0]) is not None
    [used] = records(reviewer, "account.recovery_code_used")
    assert used.data["codes_left"] == len(codes) - 1


def test_a_recovery_code_added_by_hand_is_recorded(reviewer):
    _enrol(reviewer)
    generated = len(records(reviewer, "account.recovery_codes_generated"))
    StaticDevice.objects.get(user=reviewer).token_set.create(token="handmade1")
    assert len(records(reviewer, "account.recovery_codes_generated")) == generated + 1


def test_deleting_the_last_authenticator_removes_the_recovery_codes(client, security_admin, reviewer, settings):
    codes = _enrol(reviewer)
    device = TOTPDevice.objects.get(user=reviewer)
    client.force_login(security_admin)
    response = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not StaticDevice.objects.filter(user=reviewer).exists()
    assert not StaticToken.objects.filter(device__user=reviewer).exists()
    [removed] = records(reviewer, "account.recovery_codes_removed")
    assert removed.actor == security_admin and removed.data == {"codes": len(codes)}
    # The lost phone's recovery code no longer signs in: the person is sent to enrol a new authenticator.
    settings.OTP_REQUIRED = True
    client.logout()
    client.post(reverse("login"), {"username": reviewer.username, "password": PASSWORD})
    response = client.post(reverse("security:otp_verify"), {"token": codes[1]})
    assert response.status_code == 302 and response["Location"].startswith(reverse("security:otp_setup"))
    assert client.get(reverse("reviews:queue"))["Location"].startswith(reverse("security:otp_setup"))
    assert security_services.verify_second_factor(user=reviewer, token=codes[2]) is None
    assert not records(reviewer, "account.recovery_code_used")


def test_removing_one_of_two_authenticators_keeps_the_codes(reviewer):
    _enrol(reviewer)
    TOTPDevice.objects.create(user=reviewer, name="second phone", confirmed=True)
    TOTPDevice.objects.filter(user=reviewer).first().delete()
    assert StaticToken.objects.filter(device__user=reviewer).exists()


# --- sign-in on a locked account ---------------------------------------------------------------------------------

def test_a_sign_in_on_a_locked_account_is_recorded_even_with_the_right_password(client, clerk_water, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(reverse("login"), {"username": clerk_water.username, "password": "wrong-password-1"})
    response = client.post(reverse("login"), {"username": clerk_water.username, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    [locked] = records(clerk_water, "account.sign_in_locked")
    assert locked.actor is None and locked.data["username"] == clerk_water.username
    assert locked.data["address"] == "127.0.0.1"


def test_refused_sign_ins_of_one_address_fill_no_table(client, clerk_water, settings):
    settings.LOGIN_FAILURE_LIMIT = 1
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    client.post(reverse("login"), {"username": clerk_water.username, "password": "wrong-password-1"})
    for _ in range(6):
        client.post(reverse("login"), {"username": clerk_water.username, "password": PASSWORD})
    locked = AuditEntry.objects.filter(action="account.sign_in_locked").order_by("id")
    assert locked.count() == 3
    assert "further_attempts_not_recorded_for_seconds" in locked.last().data


# --- the access door's refusals ------------------------------------------------------------------------------------

def test_a_refusal_of_the_door_is_recorded_with_its_path(client, clerk_water):
    client.force_login(clerk_water)
    assert client.get(reverse("reviews:funds")).status_code == 404
    [refused] = records(clerk_water, "access.refused")
    assert refused.actor == clerk_water
    assert refused.data["path"] == reverse("reviews:funds") and refused.data["reason"] == "not_yours"


def test_an_object_refused_is_named_in_the_record(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("reviews:funds_award", args=[999999])).status_code == 404
    [refused] = records(reviewer, "access.refused")
    assert refused.data["object"] == "reviews.award:pk=999999"


def test_refusals_are_recorded_up_to_a_limit_and_anonymous_ones_not_at_all(client, clerk_water):
    client.get(reverse("reviews:funds"))
    assert not AuditEntry.objects.filter(action="access.refused").exists()
    client.force_login(clerk_water)
    for _ in range(REFUSALS_RECORDED_PER_MINUTE + 5):
        client.get(reverse("reviews:funds"))
    refused = AuditEntry.objects.filter(action="access.refused").order_by("id")
    assert refused.count() == REFUSALS_RECORDED_PER_MINUTE
    assert "further_refusals_not_recorded_for_seconds" in refused.last().data


# --- exports -----------------------------------------------------------------------------------------------------

def exported(actor):
    return list(AuditEntry.objects.filter(action="data.exported", actor=actor).order_by("id"))


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_funds_ledger_export_is_recorded(client, reviewer, file_format):
    client.force_login(reviewer)
    response = client.get(reverse("reviews:funds"), {"format": file_format, "year": "2023"})
    assert response.status_code == 200
    [entry] = exported(reviewer)
    assert entry.data["what"] == "funds" and entry.data["format"] == file_format and "rows" in entry.data


def test_the_admins_catalogue_and_cycle_exports_are_recorded(client, administrator):
    from measures.models import PolicyDocument
    from nominations.models import Cycle

    document = PolicyDocument.objects.get(in_force=True)
    cycle = Cycle.objects.filter(document=document).first() or Cycle.objects.create(
        year=2020, document=document, opens_at="2021-01-01T00:00:00+08:00", deadline="2021-03-31T23:59:59+08:00")
    client.force_login(administrator)
    assert client.get(reverse("admin:measures_measure_export", args=["catalogue", document.pk, "csv"])).status_code == 200
    assert client.get(reverse("admin:reviews_award_export", args=["awards", cycle.pk, "xlsx"])).status_code == 200
    catalogue, awards = exported(administrator)
    assert catalogue.target_id == document.pk and catalogue.data["what"] == "catalogue" and catalogue.data["rows"] > 30
    assert awards.target_id == cycle.pk and awards.data == {"what": "awards", "format": "xlsx", "rows": 0}


def test_the_admins_export_of_people_is_recorded(rf, security_admin, clerk_water):
    from django.contrib import admin

    model_admin = admin.site._registry[User]
    request = rf.post("/admin/auth/user/export/")
    request.user = security_admin
    data = model_admin.get_data_for_export(request, User.objects.filter(pk=clerk_water.pk))
    assert len(data) == 1
    [entry] = exported(security_admin)
    assert entry.data == {"what": "auth.user", "format": "", "rows": 1}
