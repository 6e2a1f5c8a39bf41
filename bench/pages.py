"""Time the main pages in-process, on the database DATABASE_URL points at.

Each page is requested through ``django.test.Client`` (the full middleware stack, sessions and templates;
no network), as the persona who uses it: one warm-up request, one request with its queries counted, then
``--repeat`` timed requests. Prints one JSON document: a row per page with median, 95th percentile, query
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

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.exceptions import ObjectDoesNotExist  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from measures.models import IncentiveCategory  # noqa: E402
from nominations.models import Cycle, NominationList  # noqa: E402
from organisation.models import Unit, UnitKind  # noqa: E402

# The personas are the demo accounts, present at every size.
CLERK, REVIEWER, ADMIN, PUBLIC = "water", "reviewer", "admin", None
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
    reference: bool = False  # a stock admin changelist, timed for comparison only
    cold: bool = False  # the cache is cleared before every request: the first visit after a publication


PAGES = [
    Page("clerk_home", "Clerk's home", CLERK, "nominations:home"),
    Page("list_editor", "List editor", CLERK, "nominations:edit", "edited_list"),
    Page("review_queue", "Reviewer's queue", REVIEWER, "reviews:queue"),
    Page("list_review", "List review page", REVIEWER, "reviews:list", "reviewed_list"),
    Page("unit_history", "Unit history", PUBLIC, "results:unit", "unit"),
    Page("public_results", "Public results", PUBLIC, "results:cycle", "published_year"),
    Page("statistics", "Statistics", PUBLIC, "results:statistics"),
    Page("statistics_cold", "Statistics, first visit after a publication", PUBLIC, "results:statistics", cold=True),
    Page("admin_lists", "admin: nomination lists", ADMIN, "admin:nominations_nominationlist_changelist", reference=True),
    Page("admin_awards", "admin: awards", ADMIN, "admin:reviews_award_changelist", reference=True),
    Page("admin_units", "admin: units", ADMIN, "admin:organisation_unit_changelist", reference=True),
    Page("admin_audit", "admin: audit records", ADMIN, "admin:organisation_auditentry_changelist", reference=True),
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


def time_page(page: Page, repeat: int, budget: float) -> dict:
    row = {"key": page.key, "label": page.label, "reference": page.reference}
    try:
        url = reverse(page.url_name, args=page_arguments(page.args))
    except NoReverseMatch:
        return {**row, "status": "missing"}
    except ObjectDoesNotExist as error:  # the data the page needs is not there: say so
        return {**row, "status": f"no data ({error})"}
    row["url"] = url
    client = client_for(page.persona)
    if not page.reference:  # warm-up: URL resolver, template loading, ContentType cache
        response = client.get(url)
        if response.status_code != 200:
            return {**row, "status": f"HTTP {response.status_code}"}
    if page.cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        return {**row, "status": f"HTTP {response.status_code}"}
    row["queries"] = len(queries.captured_queries)
    row["kb"] = round(len(response.content) / 1024, 1)
    times, cpu_times = [], []
    deadline = time.monotonic() + budget
    # ``repeat`` runs, fewer for a page so slow that they would not fit its time budget (never under MIN_RUNS;
    # a reference page's counted request is its warm-up).
    least = MIN_RUNS_REFERENCE if page.reference else MIN_RUNS
    while len(times) < repeat and (len(times) < least or time.monotonic() < deadline):
        if page.cold:
            cache.clear()
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu_started) * 1000)
        if response.status_code != 200:
            return {**row, "status": f"HTTP {response.status_code}"}
    return {**row, "status": "ok", "median_ms": statistics.median(times), "p95_ms": percentile(times, 0.95),
            "cpu_median_ms": statistics.median(cpu_times), "runs": len(times)}


def time_pages(repeat: int = 30, budget: float = 15.0, only: list[str] | None = None) -> list[dict]:
    return [time_page(page, repeat, budget) for page in PAGES if not only or page.key in only]


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
