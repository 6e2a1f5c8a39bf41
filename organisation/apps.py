from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "organisation"
    verbose_name = _("Organisation")

    def ready(self):
        from . import access, signals  # noqa: F401  (access registers its rules at the door; signals connects receivers)
