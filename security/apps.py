from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = _("Security")

    def ready(self):
        import pgtrigger

        from organisation.models import AuditEntry

        from . import checks, signals  # noqa: F401

        # On PostgreSQL the audit table refuses UPDATE and DELETE. The trigger is registered here rather than in
        # the model's Meta and installed after every migrate (PGTRIGGER_INSTALL_ON_MIGRATE), not by a migration.
        # Only the archive command deletes, inside pgtrigger.ignore("organisation.AuditEntry:audit_no_delete"), which sets the
        # transaction-local variable ``pgtrigger.ignore`` the trigger reads (see security/archive.py).
        pgtrigger.register(
            pgtrigger.Protect(name="audit_no_update", operation=pgtrigger.Update),
            pgtrigger.Protect(name="audit_no_delete", operation=pgtrigger.Delete),
        )(AuditEntry)
