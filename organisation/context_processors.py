from . import roles as role_checks
from .outbox import notifications_unread_count


def roles(request):
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "is_reviewer": authenticated and role_checks.is_reviewer(user),
        "is_administrator": authenticated and role_checks.is_administrator(user),
        "is_bureau_staff": authenticated and role_checks.is_bureau_staff(user),
        "is_security_administrator": authenticated and role_checks.is_security_administrator(user),
        "is_audit_administrator": authenticated and role_checks.is_audit_administrator(user),
        "is_expert": authenticated and role_checks.is_expert(user),
        # Counted (one query) only when a page shows it: a callable is called by the template that uses it.
        "unread_notifications": (lambda: notifications_unread_count(user)) if authenticated else 0,
    }
