from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Review and publication")

    def ready(self):
        from . import access  # noqa: F401  (registers its rules at the door)
