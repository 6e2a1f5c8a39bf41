from django.apps import AppConfig
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from organisation.roles import ADMINISTRATOR_ROLES as ROLES

ADMINISTRATOR_ROLES = "(" + ", ".join(f"'{name}'" for name in ROLES) + ")"
ONE_ADMINISTRATOR_ROLE = f"""
    IF (SELECT name FROM auth_group WHERE id = NEW.group_id) IN {ADMINISTRATOR_ROLES} THEN
        PERFORM 1 FROM auth_user WHERE id = NEW.user_id FOR NO KEY UPDATE;
        IF EXISTS (SELECT 1 FROM auth_user_groups AS held JOIN auth_group AS g ON g.id = held.group_id
                   WHERE held.user_id = NEW.user_id AND held.id <> NEW.id AND held.group_id <> NEW.group_id
                     AND g.name IN {ADMINISTRATOR_ROLES}) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = 'one person cannot hold two administrator roles (system, security, audit administrator)';
        END IF;
    END IF;
    RETURN NEW;
"""


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = _("Security")

    def ready(self):
        import pgtrigger

        from organisation import audit_labels
        from organisation.models import AuditEntry

        from . import checks, signals  # noqa: F401

        # A sign-in's address when the request named none (incentives.client.client_address).
        audit_labels.register(("address",), [("unknown", _("not known"))])
        _second_factor_names()
        _object_permission_names()

        # On PostgreSQL the audit table refuses UPDATE and DELETE. The trigger is registered here rather than in
        # the model's Meta and installed after every migrate (PGTRIGGER_INSTALL_ON_MIGRATE), not by a migration.
        # Only the archive command deletes, inside pgtrigger.ignore("organisation.AuditEntry:audit_no_delete"), which sets the
        # transaction-local variable ``pgtrigger.ignore`` the trigger reads (see security/archive.py).
        pgtrigger.register(
            pgtrigger.Protect(name="audit_no_update", operation=pgtrigger.Update),
            pgtrigger.Protect(name="audit_no_delete", operation=pgtrigger.Delete),
        )(AuditEntry)
        # Nobody holds two of the three administrator roles (三员分立), however the row is written: raw SQL too.
        # The person's row is locked first, so two transactions adding two roles to one person wait for each
        # other and the second sees the first. On SQLite the same trigger is created by migration 0002.
        pgtrigger.register(pgtrigger.Trigger(
            name="one_administrator_role", when=pgtrigger.Before, operation=pgtrigger.Insert | pgtrigger.Update,
            func=ONE_ADMINISTRATOR_ROLE,
        ))(get_user_model().groups.through)


def _second_factor_names() -> None:
    """django-otp ships its apps and models named in English only ("Static devices", "TOTP devices"): the security
    administrator's pages name them in the person's language."""
    from django.apps import apps
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    apps.get_app_config("otp_static").verbose_name = _("Recovery codes")
    apps.get_app_config("otp_totp").verbose_name = _("Authenticator apps")
    names = ((StaticDevice, _("recovery code set"), _("recovery code sets")),
             (StaticToken, _("recovery code"), _("recovery codes")),
             (TOTPDevice, _("authenticator app"), _("authenticator apps")))
    for model, singular, plural in names:
        model._meta.verbose_name, model._meta.verbose_name_plural = singular, plural
    # Their fields too: the name of a field (its label, a column's heading, a filter's title) and its help text. A
    # help text's message id is django-otp's own English, so that the migrations' state does not change.
    fields = {
        "user": (_("person"), _("The user that this device belongs to.")),
        "name": (_("device name"), _("The human-readable name of this device.")),
        "confirmed": (_("confirmed"), _("Is this device ready for use?")),
        "throttling_failure_timestamp": (_("last failed attempt"), _(
            "A timestamp of the last failed verification attempt. Null if last attempt succeeded.")),
        "throttling_failure_count": (_("failed attempts in a row"), _("Number of successive failed attempts.")),
        "created_at": (_("created at"), _("The date and time when this device was initially created in the system.")),
        "last_used_at": (_("last used at"), _("The most recent date and time this device was used.")),
        "key": (_("secret key"), _("A hex-encoded secret key of up to 40 bytes.")),
        "step": (_("time step"), _("The time step in seconds.")),
        "t0": (_("start of counting"), _("The Unix time at which to begin counting steps.")),
        "digits": (_("digits"), _("The number of digits to expect in a token.")),
        "tolerance": (_("tolerance"), _("The number of time steps in the past or future to allow.")),
        "drift": (_("clock drift"), _("The number of time steps the prover is known to deviate from our clock.")),
        "last_t": (_("last time step used"), _(
            "The t value of the latest verified token. The next token must be at a higher time step.")),
        "device": (_("recovery code set"), ""),
        "token": (_("recovery code"), ""),
    }
    for model in (StaticDevice, StaticToken, TOTPDevice):
        for field in model._meta.concrete_fields:
            if field.name in fields:
                field.verbose_name, help_text = fields[field.name]
                field.help_text = help_text or field.help_text


def _object_permission_names() -> None:
    """django-guardian names its app "Guardian" and its models "group object permission" and "user object
    permission", in English only: the audit trail's choice of object types names them in the person's language."""
    from django.apps import apps
    from guardian.models import GroupObjectPermission, UserObjectPermission

    apps.get_app_config("guardian").verbose_name = _("Permissions on single objects")
    names = ((GroupObjectPermission, _("permission of a role on one object"), _("permissions of roles on one object")),
             (UserObjectPermission, _("permission of a person on one object"),
              _("permissions of people on one object")))
    for model, singular, plural in names:
        model._meta.verbose_name, model._meta.verbose_name_plural = singular, plural
