from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NominationsConfig(AppConfig):
    name = "nominations"
    verbose_name = _("Nominations")

    def ready(self):
        from organisation import audit_labels, outbox

        from . import access, signals  # noqa: F401  (access registers its rules at the door; signals connects receivers)
        from .models import ReminderKind
        from .phases import CyclePhase
        from .states import ListState

        # The codes its audit records write: a list's state after a transition, a year's phase before and after.
        audit_labels.register(("state",), ListState.choices)
        audit_labels.register(("from", "to"), CyclePhase.choices)
        # Every kind of message it sends, in words, for the admin's pages of the outbox and of notifications.
        outbox.message_kinds_register(ReminderKind.choices)
