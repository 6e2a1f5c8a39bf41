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


class IdentityLink(models.Model):
    """An identity of the province's identity provider (its issuer and the stable subject ``sub`` it gives the
    person), linked to one account by the security administrator. Signing in through the provider finds the
    account by this pair only: a name or an e-mail address the provider sends is never used to match."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity_links",
                             verbose_name=_("user"))
    issuer = models.CharField(_("issuer"), max_length=255,
                              help_text=_("The identity provider's issuer (iss), as its ID tokens carry it"))
    subject = models.CharField(_("subject"), max_length=255,
                               help_text=_("The stable identifier (sub) the identity provider gives the person"))
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                                  verbose_name=_("linked by"))
    last_used_at = models.DateTimeField(_("last signed in with"), null=True, blank=True)

    class Meta:
        verbose_name = _("identity link")
        verbose_name_plural = _("identity links")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="%(app_label)s_%(class)s_unique_identity",
                                    violation_error_message=_("This identity is already linked to an account.")),
        ]

    def __str__(self):
        return f"{self.user} ← {self.subject}"


class ClaimRule(models.Model):
    """The security administrator's rule: an identity of ``issuer`` whose ID token carries ``claim`` = ``value``
    (a department code, say) and that no one linked yet is the bureau staff of ``bureau``. At its first sign-in it
    gets an account of its own, that bureau's membership and the bureau staff role, nothing else, and its link
    (``security.sign_on``); the account is then the security administrator's to change like any other."""

    issuer = models.CharField(_("issuer"), max_length=255)
    claim = models.CharField(_("claim"), max_length=64, help_text=_("The name of the ID token's claim, e.g. dept"))
    value = models.CharField(_("value"), max_length=255)
    bureau = models.ForeignKey("organisation.Bureau", on_delete=models.CASCADE, related_name="claim_rules",
                               verbose_name=_("bureau"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("set by"))
    created_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("claim rule")
        verbose_name_plural = _("claim rules")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "claim", "value"], name="%(app_label)s_%(class)s_unique_claim",
                                    violation_error_message=_("A rule for this claim's value exists already.")),
        ]

    def __str__(self):
        return f"{self.claim}={self.value} → {self.bureau}"
