"""Password rules of 等保2.0 level 3: characters of several classes, no reuse of the last passwords, nothing like
the account's own names, and nothing common.

Django has no validator for the first two (its own check length, similarity, common and numeric passwords), and the
packages that add them (django-password-validators) keep their own history table without the expiry and forced
change this application needs beside it; these two are small and keep the history in ``security.models``. Django's
similarity and common-password checks compare the whole password, so ``forestry-Forestry1`` for the account
``forestry`` and ``Woaini@1314`` pass them: the two validators below look for the names and the common passwords
inside the password, under the usual disguises."""

import gzip
import re
import string
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import CommonPasswordValidator
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


# Digits and symbols written for the letters they look like (p@ssw0rd).
LOOK_ALIKES = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
                             "@": "a", "$": "s", "!": "i", "|": "l", "+": "t"})
NOT_LETTER = re.compile(r"[\W\d_]+")
NOT_DIGIT = re.compile(r"\D+")
DECORATION = string.digits + string.punctuation + " 　"


def _disguises(password: str) -> set[str]:
    """The password as a person disguises a word: any case, punctuation and digits taken out, look-alike digits
    read as letters, reversed."""
    folded = password.casefold()
    squeezed = re.sub(r"[\W_]+", "", folded)
    forms = {folded, squeezed, NOT_LETTER.sub("", folded), NOT_LETTER.sub("", folded.translate(LOOK_ALIKES))}
    return forms | {form[::-1] for form in forms}


class NotLikeTheAccountValidator:
    """Refuses a password that contains the account's user name, given name, family name or e-mail address
    (before the @), or a part of one of at least ``min_part`` letters: in any case, reversed, with digits and
    punctuation around or inside it, or with look-alike digits (``forestry-Forestry1``, ``yrtseroF#2024``,
    ``F0restry!2024`` for the account ``forestry``). Shorter parts (a two-letter surname) are not held against it."""

    ATTRIBUTES = ("username", "first_name", "last_name", "email")

    def __init__(self, min_part: int = 3):
        self.min_part = min_part

    def _parts(self, user) -> set[str]:
        parts = set()
        for attribute in self.ATTRIBUTES:
            value = str(getattr(user, attribute, "") or "").casefold()
            if attribute == "email":
                value = value.partition("@")[0]
            parts.add(re.sub(r"[\W_]+", "", value))
            parts.update(NOT_LETTER.split(value))
        return {part for part in parts if len(part) >= self.min_part}

    def validate(self, password, user=None):
        if user is None:
            return
        parts = self._parts(user)
        disguises = _disguises(password)
        if any(part in form for part in parts for form in disguises):
            raise ValidationError(
                _("This password contains your user name, your name or your e-mail address (perhaps reversed, or "
                  "with other capitals, digits or punctuation around it): choose one that has nothing of them."),
                code="password_like_account",
            )

    def get_help_text(self):
        return _("Your password cannot contain your user name, your name or your e-mail address, in any form.")


class CommonPasswordsValidator(CommonPasswordValidator):
    """Django's list of 20,000 common passwords and the project's own (``extra_list_path``, common Chinese-context
    ones: pinyin, keyboard runs, administrator defaults), compared not only with the whole password but with it
    undressed: digits and punctuation taken off both ends (``Zhangwei@1988`` is ``zhangwei``), look-alike digits
    read as letters (``P@ssw0rd2024!`` is ``password``), and its digits alone (``5201314Aa!``)."""

    def __init__(self, password_list_path=CommonPasswordValidator.DEFAULT_PASSWORD_LIST_PATH,
                 extra_list_path=None, min_word=4):
        super().__init__(password_list_path)
        self.min_word = min_word
        if extra_list_path:
            self.passwords |= self._read(Path(extra_list_path))

    @staticmethod
    def _read(path: Path) -> set[str]:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            return {line.strip().casefold() for line in handle if line.strip() and not line.startswith("#")}

    def _candidates(self, password: str) -> set[str]:
        folded = password.casefold().strip()
        core = folded.strip(DECORATION)
        words = {folded, folded.strip(string.punctuation), core, core.translate(LOOK_ALIKES),
                 folded.translate(LOOK_ALIKES).strip(DECORATION), NOT_LETTER.sub("", folded)}
        digits = NOT_DIGIT.sub("", folded)
        if len(digits) >= 6:
            words.add(digits)
        return {word for word in words if len(word) >= self.min_word}

    def validate(self, password, user=None):
        if self._candidates(password) & self.passwords:
            raise ValidationError(
                _("This password is a common one, or a common one with digits or punctuation around it: choose "
                  "one nobody would guess."),
                code="password_too_common",
            )
