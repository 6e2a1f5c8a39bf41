"""The bodies of the public statistics and results pages, kept in the cache, and their warming at publication.

The figures change only when a cycle is published or reopened (``selectors.results_version``) or when
implementation rules are filed or reviewed (``selectors.rules_version``): each body is kept under a key that
changes with those events, per language and, for the statistics, for the public and for reviewers (the bureaus'
punctuality is internal). A publication or a reopening queues ``reviews.tasks.public_pages_warm`` on commit,
which renders the new bodies into the cache so that the first visitor after it does not pay the whole count.

The bodies use no request (no context processors): the page around them does, so a body rendered by a worker
is the one a visit would render.

The warming also writes each body to the database (``KeptBody``, the rows of older versions removed): a visit that
finds nothing in the cache (emptied by a restart or an eviction, or its Redis down) reads it there, one query,
instead of counting every award of every year again. When neither has it (a version nobody warmed: a filing of
rules since) the visit renders the body and keeps it in the cache (``kept_get``/``kept_set``; deploy/README.md,
"When a piece is down").
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from measures.models import PolicyDocument
from nominations.models import Cycle
from organisation.models import Programme

from . import charts, selectors
from .models import KeptBody

KEPT_FOR = 24 * 60 * 60  # seconds; a new version key takes over long before
CACHE_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionRefusedError)

logger = logging.getLogger(__name__)


def kept_get(key: str, *, database: bool = True):
    """The body kept under ``key``: the cache's, else (``database``) the database's copy from the warming (then given
    to the cache again); None when neither has it (the visit renders it)."""
    cache_answers = True
    try:
        value = cache.get(key)
    except CACHE_DOWN as error:
        logger.warning("cache unreachable (%s: %s): the public page is read from the database", type(error).__name__,
                       error, extra={"dependency": "cache"})
        value, cache_answers = None, False
    if value is None and database:
        value = KeptBody.objects.filter(key=key).values_list("value", flat=True).first()
        if value is not None:
            value = _marked_safe(value)
            if cache_answers:
                kept_set(key, value)
    return value


def _marked_safe(value):
    """A body read back from the database, safe again as it was rendered (a statistics body, or a year's results:
    its body and its number of awards). JSON keeps the text, not its being safe HTML."""
    if isinstance(value, dict):
        return {**value, "body": mark_safe(value["body"])} if "body" in value else value  # noqa: S308 - rendered by our templates, escaped there
    return mark_safe(value)  # noqa: S308 - the same


def kept_set(key: str, value) -> None:
    """Keep ``value`` under ``key``; nothing when the cache does not answer."""
    try:
        cache.set(key, value, KEPT_FOR)
    except CACHE_DOWN:
        pass


def public_programme(code: str | None):
    """The programme of a public page: None for the default one (its pages need no query to name it); 404 for an
    unknown code."""
    if code is None:
        return None
    programme = Programme.objects.filter(code=code).first()
    if programme is None:
        raise Http404
    return programme


# ---------------------------------------------------------------------------------------------------------------
# Statistics


def statistics_versions(programme_code: str | None) -> tuple[str, str]:
    """What the statistics' key changes with: the publications and the filings of rules. Two queries."""
    return selectors.results_version(programme_code), selectors.rules_version()


def statistics_key(programme_code: str | None, *, internal: bool, versions: tuple[str, str] | None = None,
                   page: int = 1, bureau_page: int = 1) -> str:
    """The key of the statistics body (one page of years, one page of bureaus) in the current language (two
    queries unless ``versions`` is given)."""
    results_version, rules_version = versions or statistics_versions(programme_code)
    return (f"{statistics_key_prefix(programme_code)}{results_version}:{rules_version}:"
            f"{translation.get_language()}:{int(internal)}:{page}:{bureau_page}")


def statistics_key_prefix(programme_code: str | None) -> str:
    return f"results-statistics:{programme_code or ''}:"


def statistics_figures(programme_code: str | None, *, page: int = 1, internal: bool = True) -> dict:
    """What the statistics show (one page of years), counted once for every language (and, ``internal``, for both
    audiences: the public body leaves the punctuality out)."""
    programme = public_programme(programme_code)
    documents = (PolicyDocument.objects.filter(programme=programme) if programme is not None
                 else PolicyDocument.objects.filter(programme__is_default=True))
    document = documents.filter(in_force=True).order_by("-issued_on").first()  # the programme's own, never another's
    return {"stats": selectors.statistics(programme_code, page=page, with_punctuality=internal),
            "rules_document": document,
            "rules_punctuality": (selectors.rules_punctuality_of(document=document)
                                  if document else []),
            "programme": programme}


def year_cells(per_year: list[int]) -> SafeString:
    """A table row's cells of counts, one per year, joined here: a province's tables have thousands of them, each
    a template variable otherwise. Integers only, nothing to escape."""
    return mark_safe("".join(f"<td>{int(value)}</td>" for value in per_year))  # noqa: S308 - integers


# A province has thousands of bureaus: the tables of bureaus (punctuality of the lists and of the rules) show this many
# a page, in the bureaus' order, with links to the others; Guangzhou's forty-odd bureaus are one page.
STATISTICS_BUREAUS_PER_PAGE = 100


def bureau_rows(rows, columns: tuple[str, str, str]) -> SafeString:
    """The rows of a table of bureaus and three counts (on time, late, never), each cell with its data attribute
    (``data-on-time="3"``), joined here for the same reason as ``year_cells``: a province has hundreds of bureaus."""
    return mark_safe("".join(  # noqa: S308 - the name is escaped, the rest are integers
        f'<tr data-bureau="{escape(bureau.short_name)}"><th scope="row">{escape(bureau.short_name)}</th>'
        + "".join(f'<td data-{column}="{int(value)}">{int(value)}</td>' for column, value in zip(columns, counts,
                                                                                                 strict=True))
        + "</tr>"
        for bureau, *counts in rows))


def statistics_body(programme_code: str | None, *, internal: bool, figures: dict | None = None, page: int = 1,
                    bureau_page: int = 1) -> str:
    """The statistics page's body in the current language (counted now unless ``figures`` is given): one page of
    years and, in the tables of bureaus, one page of bureaus (``STATISTICS_BUREAUS_PER_PAGE``)."""
    figures = figures or statistics_figures(programme_code, page=page, internal=internal)
    stats = figures["stats"]
    punctuality = stats.punctuality if internal else []
    # (a page past the last is the last, as Paginator.get_page gives it)
    bureaus = Paginator(range(max(len(punctuality), len(figures["rules_punctuality"]))),
                        STATISTICS_BUREAUS_PER_PAGE).get_page(bureau_page)
    shown = slice(max(bureaus.start_index() - 1, 0), bureaus.end_index())
    punctuality, rules_punctuality = punctuality[shown], figures["rules_punctuality"][shown]
    year_labels = [str(y) for y in stats.years]
    district_chart = charts.stacked_bar_chart(
        title=_("Awards per district and year"), series=year_labels,
        rows=[(d.name, per_year) for d, per_year, _total in stats.districts])
    measure_chart = charts.stacked_bar_chart(
        title=_("Awards per measure"), series=year_labels,
        rows=[(f"{m.numeral}、{m.title}"[:12], per_year) for m, per_year, _total in stats.measures])
    punctuality_chart = None
    if internal:  # the public body does not show it
        punctuality_chart = charts.stacked_bar_chart(
            title=_("Punctuality of the bureaus"), series=[_("On time"), _("Late"), _("Not submitted")],
            colours=["#009E73", "#E69F00", "#5f6368"],
            rows=[(b.short_name, [on_time, late, never]) for b, on_time, late, never in punctuality])
    return render_to_string("reviews/_statistics_body.html", {
        **figures, "district_chart": district_chart,
        "district_rows": [(d, year_cells(per_year), total) for d, per_year, total in stats.districts],
        "measure_rows": [(m, year_cells(per_year), total) for m, per_year, total in stats.measures],
        "punctuality_rows": bureau_rows(punctuality, ("on-time", "late", "never")) if internal else "",
        "rules_punctuality_rows": bureau_rows(rules_punctuality, ("on-time", "late", "missing")),
        "measure_chart": measure_chart, "punctuality_chart": punctuality_chart, "internal": internal,
        "bureaus": bureaus,
    })


def statistics_body_kept(programme_code: str | None, *, internal: bool, page: int = 1, bureau_page: int = 1) -> str:
    """The body of one page of years and bureaus from the cache, rendered and kept on a miss."""
    key = statistics_key(programme_code, internal=internal, page=page, bureau_page=bureau_page)
    body = kept_get(key)
    if body is None:
        body = statistics_body(programme_code, internal=internal, page=page, bureau_page=bureau_page)
        kept_set(key, body)
    return body


# ---------------------------------------------------------------------------------------------------------------
# A year's results


# A province's year has thousands of categories: its results are shown in pages of whole measures, at most this many
# categories a page (a larger measure has a page of its own), with an index of the measures on every page.
# Guangzhou's 39 categories are one page.
RESULTS_PAGE_CATEGORIES = 100


def results_key(cycle: Cycle, programme_code: str | None, page: int = 1, *, version: str | None = None) -> str:
    """The key of a published year's results body (one page; 0: how many pages there are) in the current
    language. One query (the version) unless ``version`` is given."""
    version = version or selectors.results_version(programme_code)
    return f"{results_key_prefix(cycle)}{version}:{translation.get_language()}:{page}"


def results_key_prefix(cycle: Cycle) -> str:
    return f"results-cycle:{cycle.programme.code}:{cycle.year}:"


def results_pages(groups: list) -> list[list]:
    """The measures of a year's results cut into pages of at most ``RESULTS_PAGE_CATEGORIES`` categories, whole
    measures only (at least one page, empty when nobody was commended)."""
    pages, page, size = [], [], 0
    for group in groups:
        if page and size + len(group.categories) > RESULTS_PAGE_CATEGORIES:
            pages.append(page)
            page, size = [], 0
        page.append(group)
        size += len(group.categories)
    return [*pages, page]


def results_kept_render(cycle: Cycle) -> dict[int, dict]:
    """Every page of the year's results (page number → its body, the year's number of awards and the number of
    pages); 0 → the number of pages alone."""
    groups = selectors.cycle_results(cycle=cycle)
    pages = results_pages(groups)
    award_count = sum(g.award_count for g in groups)
    index = [(group.measure, number) for number, page in enumerate(pages, start=1) for group in page]
    repeat_winners = selectors.repeat_winners(cycle=cycle)
    rendered = {0: {"page_count": len(pages)}}
    for number, page in enumerate(pages, start=1):
        rendered[number] = {"body": render_to_string("reviews/_results_body.html", {
            "groups": page, "repeat_winners": repeat_winners, "programme": cycle.programme,
            "index": index if len(pages) > 1 else [], "page": number, "page_count": len(pages),
        }), "award_count": award_count, "page": number, "page_count": len(pages)}
    return rendered


def results_kept(cycle: Cycle, programme_code: str | None, page: int = 1) -> dict:
    """One page of the year's results (its body, the year's number of awards, the page and the number of pages),
    from the cache or the database's copy, every page rendered and kept on a miss. Http404 for a page past the
    last (known from the kept number of pages, so that asking for one renders nothing again)."""
    version = selectors.results_version(programme_code)
    key, count_key = (results_key(cycle, programme_code, page, version=version),
                      results_key(cycle, programme_code, 0, version=version))
    kept = kept_get(key)
    if kept is not None:
        return kept
    known = kept_get(count_key, database=False)  # the database's copy has every page or none
    if known is not None and page > known["page_count"]:
        raise Http404
    rendered = results_kept_render(cycle)
    for number, value in rendered.items():
        kept_set(results_key(cycle, programme_code, number, version=version), value)
    if page not in rendered or page == 0:
        raise Http404
    return rendered[page]


# ---------------------------------------------------------------------------------------------------------------
# Warming


def kept_store(bodies: dict, *, replacing: tuple[str, ...]) -> None:
    """Keep ``bodies`` (key → body) in the cache and in the database, removing the database's rows of the older
    versions (keys starting with one of ``replacing`` that are not among ``bodies``)."""
    for key, value in bodies.items():
        kept_set(key, value)
        KeptBody.objects.update_or_create(key=key, defaults={"value": value})
    stale = KeptBody.objects.none()
    for prefix in replacing:
        stale |= KeptBody.objects.filter(key__startswith=prefix)
    stale.exclude(key__in=list(bodies)).delete()


def public_pages_warm(*, cycle_id: int) -> list[str]:
    """Render what a publication or a reopening of the cycle changed into the cache and the database: its
    programme's statistics (public and internal, in every language of ``settings.LANGUAGES``) and, while it is
    published, the year's results (a reopened year's are removed). Returns the keys written. Running it twice only
    renders the same bodies again."""
    cycle = Cycle.objects.select_related("programme").filter(pk=cycle_id).first()
    if cycle is None:
        return []
    # The programme's public pages: the default programme's at their addresses without a code.
    code = None if cycle.programme.is_default else cycle.programme.code
    published = cycle.state == Cycle.State.PUBLISHED
    versions, figures = statistics_versions(code), statistics_figures(code)
    bodies = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for internal in (False, True):
                bodies[statistics_key(code, internal=internal, versions=versions)] = statistics_body(
                    code, internal=internal, figures=figures)
            if published:
                version = selectors.results_version(code)
                for number, value in results_kept_render(cycle).items():
                    bodies[results_key(cycle, code, number, version=version)] = value
    kept_store(bodies, replacing=(statistics_key_prefix(code), results_key_prefix(cycle)))
    return list(bodies)
