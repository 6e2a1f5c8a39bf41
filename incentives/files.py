"""Handing a stored file to someone a view has already allowed to read it.

Files live in the default storage: a directory (``MEDIA_ROOT``) on one machine, S3-compatible object storage
(django-storages, ``MEDIA_S3_BUCKET``) when web and workers run on several hosts. A download is always decided by
the view first (its selector checks the person's rights). Then, with object storage, the browser is sent to a
short-lived signed link (``MEDIA_SIGNED_URL_SECONDS``, a minute by default) that names the file to save and its
type, so the bytes never pass through a web worker; without it, the file is streamed by the application.
A file shown inside a page (an evidence file previewed in the review page) is always streamed: it must come from
the application's own origin, under its Content-Security-Policy.

``StoredFile`` is the abstract model of such a file (evidence files, implementation rules): the generated name, the
person's file name, type, size and SHA-256, stored and handed out the same way.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

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


def stored_file_upload_to(instance, filename):
    """Where a ``StoredFile`` is kept: its model's directory and the generated name (never the person's)."""
    return f"{instance.upload_directory()}/{instance.token}{instance.extension}"


class StoredFile(models.Model):
    """An uploaded file kept in the default storage under a generated name (``token`` + ``extension``), with what
    was checked about it when it came in (``measures.evidence.evidence_check``): the person's file name, its
    type, size and SHA-256. Evidence files and implementation rules are stored files."""

    file = models.FileField(_("file"), upload_to=stored_file_upload_to, max_length=255)
    token = models.CharField(max_length=32, unique=True, editable=False)
    extension = models.CharField(max_length=8, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    STORED_FIELDS = ("token", "extension", "original_name", "content_type", "size", "sha256")

    class Meta:
        abstract = True

    def upload_directory(self) -> str:
        """The storage directory of this file (without a trailing slash)."""
        raise NotImplementedError

    def store(self, upload, meta: dict) -> str:
        """Take the checked file's description ``meta`` (evidence_check's) and save ``upload``'s bytes under the
        generated name; the row itself is not saved. Returns the stored name (for removal if the transaction
        fails)."""
        for name in self.STORED_FIELDS:
            setattr(self, name, meta[name])
        self.file.save(self.token + self.extension, upload, save=False)
        return self.file.name

    def response(self, *, inline: bool = False, headers: dict[str, str] | None = None) -> HttpResponse:
        """The file handed to someone the view has already allowed to read it, under its original name."""
        return stored_file_response(self.file, filename=self.original_name, content_type=self.content_type,
                                    inline=inline, headers=headers)
