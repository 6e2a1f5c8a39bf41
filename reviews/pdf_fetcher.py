"""What WeasyPrint may read while it renders a bulletin: the application's own static files, nothing else.

WeasyPrint's default fetcher follows any URL in the HTML: ``file://`` anywhere on the disk, ``http(s)://`` on the
network, ``data:``. Today only escaped text reaches the template, but a fetcher that refuses everything except
files under the static directories keeps it that way should a stylesheet or an image ever be added, or an
unescaped value slip through.

This module imports WeasyPrint (1.3 s): it is imported only where a document is rendered, never at start-up.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles.finders import AppDirectoriesFinder
from weasyprint.urls import URLFetcher


def static_roots() -> list[Path]:
    roots = [Path(settings.STATIC_ROOT)]
    for entry in settings.STATICFILES_DIRS:
        roots.append(Path(entry[1] if isinstance(entry, (list, tuple)) else entry))
    for storage in AppDirectoriesFinder().storages.values():
        roots.append(Path(storage.location))
    return [root.resolve() for root in roots]


def is_static_file(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parts.path)).resolve()  # resolves "..", and symbolic links out of the directory
    return path.is_file() and any(path.is_relative_to(root) for root in static_roots())


class StaticFilesFetcher(URLFetcher):
    """Refuses (ValueError, which WeasyPrint reports and skips) every URL that is not one of our static files."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allowed_protocols", ("file",))
        kwargs.setdefault("allow_redirects", False)
        super().__init__(**kwargs)

    def fetch(self, url, headers=None):
        if not is_static_file(url):
            raise ValueError(f"the bulletin may only use the application's static files, not {url[:200]}")
        return super().fetch(url, headers)
