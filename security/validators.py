"""Password rules of 等保2.0 level 3: characters of several classes, and no reuse of the last passwords.

Django has no validator for either (its own check length, similarity, common and numeric passwords), and the
packages that add them (django-password-validators) keep their own history table without the expiry and forced
change this application needs beside it; these two are small and keep the history in ``security.models``."""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import AccountSecurity, PasswordHistory
from .signals import password_changed as record_password_changed

CLASSES = (
    ("lower", lambda c: c.islower()),
    ("upper", lambda c: c.isupper()),
    ("digit", lambda c: c.isdigit()),
    ("other", lambda c: not (c.islower() or c.isupper() or c.isdigit())),  # punctuation, spaces, Chinese …
)


def character_classes(password: str) -> int:
    return sum(1 for _name, test in CLASSES if any(test(c) for c in password))


class CharacterClassesValidator:
    """At least ``min_classes`` of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _("This password uses too few kinds of characters: use at least %(count)d of lower-case letters, "
                  "upper-case letters, digits and other characters.") % {"count": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _("Your password must contain at least %(count)d of: lower-case letters, upper-case letters, digits, "
                 "other characters.") % {"count": self.min_classes}


class PasswordHistoryValidator:
    """None of the last ``PASSWORD_HISTORY_COUNT`` passwords (the current one included) may be set again.

    ``password_changed`` is Django's hook, called by ``User.save()`` after any ``set_password()``: it keeps the new
    hash and the time of the change (the start of the expiry period)."""

    def __init__(self, count: int | None = None):
        self._count = count

    @property
    def count(self) -> int:
        return self._count or settings.PASSWORD_HISTORY_COUNT

    def validate(self, password, user=None):
        if user is None or not user.pk:
            return
        former = PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[: self.count]
        if any(check_password(password, encoded) for encoded in former):
            raise ValidationError(
                ngettext("You used this password recently: choose one different from your last password.",
                         "You used this password recently: choose one different from your last %(count)d passwords.",
                         self.count) % {"count": self.count},
                code="password_reused",
            )

    def get_help_text(self):
        return ngettext("Your password cannot be your last password.",
                        "Your password cannot be one of your last %(count)d passwords.", self.count) % {
            "count": self.count}

    def password_changed(self, password, user):
        if not user.pk or not user.has_usable_password():
            return
        now = timezone.now()
        with transaction.atomic():
            self._keep(user, now)

    def _keep(self, user, now):
        PasswordHistory.objects.create(user_id=user.pk, password=user.password, created_at=now)
        stale = PasswordHistory.objects.filter(user_id=user.pk).values_list("pk", flat=True)[self.count:]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()
        AccountSecurity.objects.update_or_create(user_id=user.pk, defaults={"password_changed_at": now})
        record_password_changed(user)
