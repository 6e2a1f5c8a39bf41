import importlib

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "organisation"
    verbose_name = _("Organisation")

    def ready(self):
        from incentives import backup, crypto

        from . import access, signals  # noqa: F401  (access registers its rules at the door; signals connects receivers)

        backup.register_setup_rows(self.setup_rows)
        # A bad key ring or backup key stops the start, as a missing one does in production (settings.py).
        crypto.key_ring()
        crypto.backup_key()
        if not crypto.sm4_gcm_available():
            raise ImproperlyConfigured("SM4-GCM is not available from this cryptography/OpenSSL: personal data "
                                       "cannot be encrypted (incentives/crypto.py)")

    def setup_rows(self, alias: str) -> dict:
        """What migrate and init create here by themselves, which a restore may replace (incentives.backup): the
        default programme as migration 0002 makes it, the role groups, and a group for each bureau."""
        from . import permissions, roles

        migration = importlib.import_module("organisation.migrations.0002_programme")
        programme = self.get_model("Programme")(**migration.GUANGZHOU, is_default=True)
        bureaus = self.get_model("Bureau")._base_manager.using(alias).only("pk")
        return {"instances": {"organisation.programme": [programme]},
                "groups": set(roles.ROLE_LABELS) | {permissions.bureau_group_name(bureau) for bureau in bureaus}}
