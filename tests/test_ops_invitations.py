"""Accounts created by an administrator or an import receive an invitation with a one-time link to choose a
password (Django's reset form sends nothing to an account without a usable password)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from incentives.errors import DomainError, PermissionDeniedError
from measures.importing.organisation import plan_users, users_import
from organisation.invitations import account_invite
from organisation.models import AuditEntry

from .factories import make_user

User = get_user_model()
NEW_PASSWORD = "Liwan-river-2026-chosen"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://incentives.example.gov.cn"


def invitation_path(message) -> str:
    link = re.search(r"https://incentives\.example\.gov\.cn(/accounts/invitation/\S+/)", message.body)
    assert link, message.body
    return link.group(1)


def test_an_imported_account_receives_an_invitation_and_its_link_sets_the_password(client, administrator,
                                                                                 django_capture_on_commit_callbacks):
    data = "username,first_name,email,role,bureaus\nchenli,陈丽,chenli@example.gov.cn,bureau_staff,市水务局\n" \
           "noaddress,无邮箱,,bureau_staff,市水务局\n"
    with django_capture_on_commit_callbacks(execute=True):
        result = users_import(actor=administrator, plan=plan_users(data.encode(), filename="users.csv"))
    assert result == {"created": 2, "updated": 0, "invited": 1}
    assert [m.to for m in mail.outbox] == [["chenli@example.gov.cn"]]
    message = mail.outbox[0]
    assert message.subject == "您在广州市督查激励管理系统的账号"
    assert "您的用户名是 chenli" in message.body
    user = User.objects.get(username="chenli")
    assert not user.has_usable_password()
    assert AuditEntry.objects.filter(action="account.invited", target_id=user.pk, actor=administrator).exists()

    path = invitation_path(message)
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert "设置您的密码" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(action="account.invitation_accepted", target_id=user.pk, actor=user).exists()
    assert client.login(username="chenli", password=NEW_PASSWORD)
    client.logout()

    # The link works once.
    response = client.get(path, follow=True)
    assert response.context["validlink"] is False


def test_the_admins_add_form_creates_an_account_without_a_password_and_invites_it(
        client, administrator, django_capture_on_commit_callbacks):
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:auth_user_add"), {
            "username": "huangmin", "first_name": "黄敏", "last_name": "", "email": "huangmin@example.gov.cn",
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="huangmin")
    assert not user.has_usable_password()
    assert [m.to for m in mail.outbox] == [["huangmin@example.gov.cn"]]
    assert "/accounts/invitation/" in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="account.invited", target_id=user.pk, actor=administrator).exists()


def test_the_add_form_needs_an_address_to_send_the_invitation_to(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("admin:auth_user_add"), {
        "username": "noemail", "email": "", "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    assert not User.objects.filter(username="noemail").exists()
    assert mail.outbox == []


def test_invitations_are_refused_with_a_reason(administrator, clerk_water, reviewer):
    newcomer = make_user("newcomer")
    newcomer.set_unusable_password()
    newcomer.save()
    with pytest.raises(PermissionDeniedError):
        account_invite(actor=reviewer, user=newcomer)
    with pytest.raises(DomainError, match="already has a password"):
        account_invite(actor=administrator, user=clerk_water)
    newcomer.email = ""
    newcomer.save()
    with pytest.raises(DomainError, match="has no e-mail address"):
        account_invite(actor=administrator, user=newcomer)
    assert not AuditEntry.objects.filter(action="account.invited").exists()
    assert mail.outbox == []


def test_an_invitation_link_expires(client, administrator, settings, django_capture_on_commit_callbacks):
    newcomer = make_user("late")
    newcomer.set_unusable_password()
    newcomer.save()
    with django_capture_on_commit_callbacks(execute=True):
        account_invite(actor=administrator, user=newcomer)
    settings.INVITATION_TIMEOUT = -1
    response = client.get(invitation_path(mail.outbox[0]), follow=True)
    assert response.context["validlink"] is False
