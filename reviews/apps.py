from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Review and publication")

    def ready(self):
        from django.utils.translation import gettext_lazy

        from nominations.states import ListState
        from organisation import audit_labels

        from . import access  # noqa: F401  (registers its rules at the door)
        from .selectors.queue import NOT_STARTED

        # A category acknowledged without a list at the public notice: the state its list was in, or none begun.
        audit_labels.register(("list_state",), [*ListState.choices, (NOT_STARTED, gettext_lazy("Not started"))])
