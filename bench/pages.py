"""Time the main pages in-process, on the database DATABASE_URL points at.

Each page is requested through ``django.test.Client`` (the full middleware stack, sessions and templates;
no network), as the persona who uses it: one warm-up request, one request with its queries counted, then
``--repeat`` timed requests, taken in turns with the other pages' (``time_pages``). A stock-admin reference row (``stock``) is a plain ``admin.ModelAdmin(Model,
admin.site)`` changelist of the same rows, called with a ``RequestFactory`` request of a superuser and rendered:
what Django's admin does with no tuning, to compare our changelists with. Prints one JSON document: a row per page with median, 95th percentile, query
count, status and size. A page whose URL name does not exist is reported as missing, never timed.

    DATABASE_URL=sqlite:///var/bench-large.sqlite3 .venv/bin/python bench/pages.py --repeat 30
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incentives.settings")
    import django

    django.setup()

from django.apps import apps  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.exceptions import ObjectDoesNotExist  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from measures.models import IncentiveCategory  # noqa: E402
from nominations.models import Cycle, NominationList  # noqa: E402
from organisation.models import Unit, UnitKind  # noqa: E402

# The personas are the demo accounts, present at every size.
CLERK, REVIEWER, ADMIN, PUBLIC = "water", "reviewer", "admin", None
AUDITOR = "auditor"  # the audit administrator (三员分立): the only reader of the audit trail
STOCK_SUPERUSER = "bench-superuser"  # the stock admin's reference rows are rendered as this superuser
EDITED_CATEGORY = "19-1"  # 市水务局's own list: a draft of three in the open cycle (see bench/generate.py)
REVIEWED_CATEGORY = "6"  # 市水务局 leads, 市发展改革委 co-responsible: submitted, three nominees
HISTORY_UNIT = "越秀区"  # the first district: nominated in many categories every year
MIN_RUNS = 5  # even for a page slower than its time budget
MIN_RUNS_REFERENCE = 3


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    persona: str | None
    url_name: str
    args: str = ""  # which argument builder (see _arguments)
    reference: bool = False  # an admin changelist, timed for comparison only (not held to the main pages' aims)
    stock: str = ""  # "app_label.Model": a plain ModelAdmin's changelist of that model (RequestFactory, superuser)
    compare: str = ""  # the key of the stock changelist of the same rows, which this page must be faster than
    cold: bool = False  # the cache is cleared before every request: the first visit after a publication

    @property
    def kind(self) -> str:
        """"main" (held to the aims), "admin" (our changelists: same queries, faster than stock) or "stock"."""
        return "stock" if self.stock else ("admin" if self.reference else "main")


LISTS, AWARDS = "admin_lists_stock", "admin_awards_stock"
UNITS, AUDIT = "admin_units_stock", "admin_audit_stock"

PAGES = [
    Page("clerk_home", "Clerk's home", CLERK, "nominations:home", compare=LISTS),
    Page("list_editor", "List editor", CLERK, "nominations:edit", "edited_list", compare=LISTS),
    Page("review_queue", "Reviewer's queue", REVIEWER, "reviews:queue", compare=LISTS),
    Page("list_review", "List review page", REVIEWER, "reviews:list", "reviewed_list", compare=LISTS),
    Page("unit_history", "Unit history", PUBLIC, "results:unit", "unit", compare=AWARDS),
    Page("public_results", "Public results", PUBLIC, "results:cycle", "published_year", compare=AWARDS),
    Page("statistics", "Statistics", PUBLIC, "results:statistics", compare=AWARDS),
    Page("statistics_cold", "Statistics, first visit after a publication", PUBLIC, "results:statistics", cold=True,
         compare=AWARDS),
    Page("audit_trail", "Audit trail (audit administrator)", AUDITOR, "security:audit", compare=AUDIT),
    Page("admin_lists", "admin: nomination lists", ADMIN, "admin:nominations_nominationlist_changelist",
         reference=True, compare=LISTS),
    Page("admin_awards", "admin: awards", ADMIN, "admin:reviews_award_changelist", reference=True, compare=AWARDS),
    Page("admin_units", "admin: units", ADMIN, "admin:organisation_unit_changelist", reference=True, compare=UNITS),
    Page("admin_audit", "admin: audit records", AUDITOR, "admin:organisation_auditentry_changelist", reference=True,
         compare=AUDIT),
    Page(LISTS, "stock admin: nomination lists", STOCK_SUPERUSER, "admin:nominations_nominationlist_changelist",
         reference=True, stock="nominations.NominationList"),
    Page(AWARDS, "stock admin: awards", STOCK_SUPERUSER, "admin:reviews_award_changelist", reference=True,
         stock="reviews.Award"),
    Page(UNITS, "stock admin: units", STOCK_SUPERUSER, "admin:organisation_unit_changelist",
         reference=True, stock="organisation.Unit"),
    Page(AUDIT, "stock admin: audit records", STOCK_SUPERUSER,
         "admin:organisation_auditentry_changelist", reference=True, stock="organisation.AuditEntry"),
]


def _open_cycle() -> Cycle:
    return Cycle.objects.filter(state=Cycle.State.OPEN).order_by("-year").first()


def _category(code: str) -> IncentiveCategory:
    return IncentiveCategory.objects.get(code=code, measure__document__in_force=True)


def page_arguments(kind: str) -> list:
    """The URL arguments of a page, found in the data (the same persona and objects at every size)."""
    if not kind:
        return []
    if kind == "edited_list":
        return [_open_cycle().year, _category(EDITED_CATEGORY).pk]
    if kind == "reviewed_list":
        return [NominationList.objects.get(cycle=_open_cycle(), category=_category(REVIEWED_CATEGORY)).pk]
    if kind == "unit":
        return [Unit.objects.get(kind_id=UnitKind.DISTRICT, name=HISTORY_UNIT).pk]
    if kind == "published_year":
        return [Cycle.objects.filter(state=Cycle.State.PUBLISHED).order_by("-year").values_list("year", flat=True)[0]]
    raise ValueError(kind)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def client_for(persona: str | None) -> Client:
    client = Client(raise_request_exception=False)  # a page that fails is reported as HTTP 500, not raised
    if persona:
        client.force_login(get_user_model().objects.get(username=persona))
    return client


def stock_superuser():
    """The superuser the stock admin's rows are rendered as (the demo has none: one is made here, once)."""
    user, created = get_user_model().objects.get_or_create(
        username=STOCK_SUPERUSER, defaults={"is_superuser": True, "is_staff": True, "is_active": True})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


class StockChangelist:
    """A client-like object that answers GET with a plain ModelAdmin's changelist, rendered."""

    def __init__(self, model_label: str):
        self.model_admin = admin.ModelAdmin(apps.get_model(model_label), admin.site)
        self.user = stock_superuser()
        self.factory = RequestFactory()

    def get(self, url: str):
        request = self.factory.get(url)
        request.user = self.user
        request.session = {}  # no middleware: what the admin site's check reads of them
        self.user.is_verified = lambda: True  # django-otp's middleware: the second factor is given
        response = self.model_admin.changelist_view(request)
        if hasattr(response, "render"):
            response.render()
        return response


def publication_warming() -> None:
    """What the latest publication left behind: its warming (``reviews.public_pages``) has run; a cold page then
    empties the cache before each request, the worst case of a visit after a publication (the cache restarted)."""
    from reviews.public_pages import public_pages_warm

    latest = (Cycle.objects.filter(programme__is_default=True, state=Cycle.State.PUBLISHED)
              .order_by("-published_at").first())
    if latest is not None:
        public_pages_warm(cycle_id=latest.pk)


@dataclass
class _Timing:
    """A page being timed: its row, its client and address, and the times taken so far."""

    page: Page
    row: dict
    client: object = None
    url: str = ""
    times: list = None
    cpu_times: list = None
    spent: float = 0.0

    @property
    def least(self) -> int:
        # MIN_RUNS_REFERENCE for a stock changelist, which only gives the comparison.
        return MIN_RUNS_REFERENCE if self.page.stock else MIN_RUNS

    def wants_more(self, repeat: int, budget: float) -> bool:
        """``repeat`` runs, fewer for a page so slow that they would not fit its time budget (never under the
        least)."""
        return "status" not in self.row and len(self.times) < repeat and (
            len(self.times) < self.least or self.spent < budget)

    def time_one(self) -> None:
        if self.page.cold:
            cache.clear()
        started, cpu_started = time.perf_counter(), time.process_time()
        response = self.client.get(self.url)
        elapsed = time.perf_counter() - started
        self.times.append(elapsed * 1000)
        self.cpu_times.append((time.process_time() - cpu_started) * 1000)
        self.spent += elapsed
        if response.status_code != 200:
            self.row["status"] = f"HTTP {response.status_code}"

    def result(self) -> dict:
        if "status" in self.row:
            return self.row
        return {**self.row, "status": "ok", "median_ms": statistics.median(self.times),
                "p95_ms": percentile(self.times, 0.95), "cpu_median_ms": statistics.median(self.cpu_times),
                "runs": len(self.times)}


def _prepare(page: Page) -> _Timing:
    """The page's address, one warm-up request (URL resolver, template loading, ContentType cache) and one with its
    queries counted; a page that cannot be timed gets its status here."""
    timing = _Timing(page, {"key": page.key, "label": page.label, "reference": page.reference, "kind": page.kind,
                            "stock": page.compare}, times=[], cpu_times=[])
    row = timing.row
    try:
        timing.url = reverse(page.url_name, args=page_arguments(page.args))
    except NoReverseMatch:
        row["status"] = "missing"
        return timing
    except ObjectDoesNotExist as error:  # the data the page needs is not there: say so
        row["status"] = f"no data ({error})"
        return timing
    row["url"] = timing.url
    timing.client = StockChangelist(page.stock) if page.stock else client_for(page.persona)
    response = timing.client.get(timing.url)
    if response.status_code != 200:
        row["status"] = f"HTTP {response.status_code}"
        return timing
    if page.cold:
        publication_warming()
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = timing.client.get(timing.url)
    if response.status_code != 200:
        row["status"] = f"HTTP {response.status_code}"
        return timing
    row["queries"] = len(queries.captured_queries)
    row["kb"] = round(len(response.content) / 1024, 1)
    return timing


def time_page(page: Page, repeat: int, budget: float) -> dict:
    """One page alone: ``repeat`` timed requests in a row (fewer past its ``budget`` of seconds)."""
    timing = _prepare(page)
    while timing.wants_more(repeat, budget):
        timing.time_one()
    return timing.result()


def time_pages(repeat: int = 30, budget: float = 15.0, only: list[str] | None = None) -> list[dict]:
    """Every page (or those of ``only``), their timed requests taken in turns: one request of each page, then the
    next round. A few seconds in which the machine is slower (another process, the host) then touch a few runs of
    every page rather than most of one page's, so the medians compare. The first visits after a publication empty
    the cache before each request: they are timed after the others, in a row, so that the pages that read the cache
    find it as they would."""
    chosen = [page for page in PAGES if not only or page.key in only]
    warm = [_prepare(page) for page in chosen if not page.cold]
    while any(timing.wants_more(repeat, budget) for timing in warm):
        for timing in warm:
            if timing.wants_more(repeat, budget):
                timing.time_one()
    cold = {page.key: time_page(page, repeat, budget) for page in chosen if page.cold}
    by_key = {timing.page.key: timing.result() for timing in warm} | cold
    return [by_key[page.key] for page in chosen]


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Time the main pages on DATABASE_URL's database")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--budget", type=float, default=15.0, help="seconds per page before fewer runs are made")
    parser.add_argument("--only", nargs="*", help="page keys")
    args = parser.parse_args(argv)
    print(json.dumps(time_pages(args.repeat, args.budget, args.only), ensure_ascii=False))


if __name__ == "__main__":
    main()
