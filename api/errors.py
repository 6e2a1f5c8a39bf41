"""The services' refusals as the API answers them, the same way the pages do (``incentives.middleware``): an
object outside the person's scope is not found (404); a rule's refusal of an object they see is 403 with its
reason; someone else's newer save is 409; any other rule of the programme is 400 naming the field. The door's
refusals are announced for the audit trail, as the pages' are."""

from django.core.exceptions import ValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from incentives.errors import ConflictError, DomainError, PermissionDeniedError, request_refused
from organisation.access import Refused


def exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, DomainError | Http404) and request is not None:
        request_refused.send(sender=exception_handler, request=request._request, exception=exc)
    if isinstance(exc, Refused):
        return Response({"detail": str(exc.message)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, PermissionDeniedError):
        exc = Http404()  # not the person's: answered as if it did not exist, as the pages do
    elif isinstance(exc, ConflictError):
        return Response({"detail": str(exc.message)}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, DomainError):
        body = {"detail": str(exc.message)}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, ValidationError):
        return Response({"detail": " ".join(str(m) for m in exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
