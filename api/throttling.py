"""The API's throttle: at most ``API_REQUESTS_PER_MINUTE`` calls a minute for one person (all their tokens and
their session together), or for one address before anyone is known. Counted by the project's throttle
(``organisation.throttle``: counters in the shared cache, the window starting at the first call)."""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from organisation import throttle

WINDOW_SECONDS = 60


class PersonThrottle(BaseThrottle):
    def allow_request(self, request, view):
        user = request.user
        key = (f"api:user:{user.pk}" if user and user.is_authenticated
               else f"api:addr:{throttle.client_address(request._request)}")
        limits = [(key, settings.API_REQUESTS_PER_MINUTE)]
        if throttle.reached(limits):
            return False
        throttle.hit([key], WINDOW_SECONDS)
        return True

    def wait(self):
        return WINDOW_SECONDS
