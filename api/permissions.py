"""What a call may do: a signed-in person, and with a token only within its scopes (reads need ``read``; a write
the scope its view names). A session acts with the person's full rights, as the pages do; the access door decides
which objects either reaches."""

from rest_framework import permissions

from .models import ApiToken, Scope


class TokenScopes(permissions.BasePermission):
    message = "This token's scopes do not include this call."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        needed = Scope.READ if request.method in permissions.SAFE_METHODS else getattr(view, "write_scope", None)
        return needed is not None and needed in token.scopes
