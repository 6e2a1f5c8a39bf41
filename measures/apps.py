from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = _("Incentive measures")

    def ready(self):
        from . import access, signals  # noqa: F401  (access registers its rules at the door; signals connects receivers)
