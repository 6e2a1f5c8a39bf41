from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("Open API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import access, schema  # noqa: F401  the access rules of the tokens; the schema's ways in
