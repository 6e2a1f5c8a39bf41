"""Account security state kept beside Django's user: when the password was set, whether it must be changed,
and the hashes of the last passwords (none of which may be used again)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountSecurity(models.Model):
    """One row per person, created when their password is first set (see ``validators.PasswordHistoryValidator``).

    A person without a row (an account older than this table, or loaded raw) counts from ``date_joined``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="security", verbose_name=_("user"))
    password_changed_at = models.DateTimeField(_("password changed at"), default=timezone.now)
    must_change_password = models.BooleanField(
        _("must change the password"), default=False,
        help_text=_("Set when someone else set the password (an administrator, an import); cleared when the person "
                    "changes it."))

    class Meta:
        verbose_name = _("account security")
        verbose_name_plural = _("account security")

    def __str__(self):
        return str(self.user)


class PasswordHistory(models.Model):
    """The hash of a password a person had (never the password itself)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history",
                             verbose_name=_("user"))
    password = models.CharField(_("password hash"), max_length=128)
    created_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("former password")
        verbose_name_plural = _("former passwords")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="security_pwhistory_user_idx")]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d}"
