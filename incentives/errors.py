"""Domain errors: raised by services with a message a person understands."""


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
