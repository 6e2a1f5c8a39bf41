from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NominationsConfig(AppConfig):
    name = "nominations"
    verbose_name = _("Nominations")

    def ready(self):
        from . import access, signals  # noqa: F401  (access registers its rules at the door; signals connects receivers)
