from django.conf import settings
from django.contrib.sessions.backends.signed_cookies import SessionStore as SignedCookieSession
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import Http404
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views import defaults

from .error_reports import is_probe_path


class ProbeAwareSessionMiddleware(SessionMiddleware):
    """Django's session middleware, except for the probes (``/health/…``, ``/metrics``): they get an empty session
    that loads nothing and is never saved, so a browser's or a monitor's session cookie cannot make a probe ask the
    database (or the cache) — ``/health/live`` answers while the database is down — and the cookie is left alone."""

    def process_request(self, request):
        if is_probe_path(request.path):
            request.session = SignedCookieSession(None)  # no key: an empty session, read from nowhere
            return
        super().process_request(request)

    def process_response(self, request, response):
        if is_probe_path(request.path):
            return response
        return super().process_response(request, response)


class ChineseFirstLocaleMiddleware:
    """The interface speaks Chinese unless the person chose another language with the language menu.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an English-language browser would get
    English without asking for it; here only the language cookie (set by the menu) counts."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class AccessDoorMiddleware:
    """Answers a rule's refusal once for every view (``organisation.access``): a view lets ``Refused`` or any
    other ``DomainError`` of a service propagate instead of catching it.

    * A POST (a form's action) goes back where it came from (the referring page of this site, else the same
      address) with the refusal as the page's message: nothing was written, the person reads why.
    * A GET answers 403 with the message on the error page.

    ``NotYours`` is Django's ``Http404`` and answered by Django: the object is not the person's to see. Both are
    announced (``incentives.errors.request_refused``) for the audit trail to record."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.contrib import messages
        from django.http import Http404
        from django.shortcuts import redirect, render
        from django.utils.http import url_has_allowed_host_and_scheme

        from .errors import DomainError, request_refused

        if not isinstance(exception, DomainError | Http404):
            return None
        request_refused.send(sender=type(self), request=request, exception=exception)
        if not isinstance(exception, DomainError):
            return None  # a 404, answered by Django
        if request.method == "POST":
            messages.error(request, exception.message)
            back = request.META.get("HTTP_REFERER", "")
            if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
                back = request.path
            return redirect(back)
        return render(request, "403.html", {"message": exception.message}, status=403)


class DemoNotFoundMiddleware:
    """The embedded demo runs with ``DEBUG`` on (``./run.sh``), where Django answers a missing page with its
    technical page (the URL patterns, the settings' names). In the demo a missing page is the site's own 404, as in
    production: a newcomer never meets the developer's page. Off the demo, or with ``DEBUG`` off, it does nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # A URL that matched nothing: the resolver's 404 was rendered before any middleware saw an exception.
        if (response.status_code == 404 and self._active() and getattr(request, "resolver_match", None) is None
                and not getattr(response, "site_page", False)):
            return self._site_page(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and self._active():
            return self._site_page(request, exception)
        return None

    @staticmethod
    def _active() -> bool:
        return settings.DEBUG and settings.DEMO_MODE

    @staticmethod
    def _site_page(request, exception=None):
        response = defaults.page_not_found(request, exception or Http404())
        response.site_page = True
        return response
