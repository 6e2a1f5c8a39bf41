"""Domain errors: raised by services with a message a person understands."""

from django.dispatch import Signal

# Sent by ``incentives.middleware.AccessDoorMiddleware`` for every exception a view lets through (a refusal of the
# access door among them): kwargs ``request`` and ``exception``. The audit trail records the door's refusals
# (``security.signals``).
request_refused = Signal()


class DomainError(Exception):
    """A rule of the programme refused the action. The message is shown to the user as it is."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)


class PermissionDeniedError(DomainError):
    """The acting user may not do this. Views answer 404 when the object is outside the user's scope."""


class ConflictError(DomainError):
    """Someone else changed the object since it was loaded (optimistic locking)."""
