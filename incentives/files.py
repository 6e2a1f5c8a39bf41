"""Handing a stored file to someone a view has already allowed to read it.

Files live in the default storage: a directory (``MEDIA_ROOT``) on one machine, S3-compatible object storage
(django-storages, ``MEDIA_S3_BUCKET``) when web and workers run on several hosts. A download is always decided by
the view first (its selector checks the person's rights). Then, with object storage, the browser is sent to a
short-lived signed link (``MEDIA_SIGNED_URL_SECONDS``, a minute by default) that names the file to save and its
type, so the bytes never pass through a web worker; without it, the file is streamed by the application.
A file shown inside a page (an evidence file previewed in the review page) is always streamed: it must come from
the application's own origin, under its Content-Security-Policy.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

# A file saved, never rendered: the browser may not guess its type nor run anything in it.
DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}


def stored_file_response(field_file, *, filename: str, content_type: str | None = None, inline: bool = False,
                         headers: dict[str, str] | None = None) -> HttpResponse:
    if not inline and settings.MEDIA_SIGNED_URLS:
        response = HttpResponseRedirect(field_file.storage.url(field_file.name, parameters={
            "ResponseContentDisposition": content_disposition_header(True, filename),
            "ResponseContentType": content_type or "application/octet-stream",
        }, expire=settings.MEDIA_SIGNED_URL_SECONDS))
    else:
        response = FileResponse(field_file.open("rb"), as_attachment=not inline, filename=filename,
                                content_type=content_type)
    # Never kept by a shared cache: the next person may not be allowed to read it (nor the link, once expired).
    response["Cache-Control"] = "private, no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response
