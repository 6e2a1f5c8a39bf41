"""The bodies of the public statistics and results pages, kept in the cache, and their warming at publication.

The figures change only when a cycle is published or reopened (``selectors.results_version``) or when
implementation rules are filed or reviewed (``selectors.rules_version``): each body is kept under a key that
changes with those events, per language and, for the statistics, for the public and for reviewers (the bureaus'
punctuality is internal). A publication or a reopening queues ``reviews.tasks.public_pages_warm`` on commit,
which renders the new bodies into the cache so that the first visitor after it does not pay the whole count.

The bodies use no request (no context processors): the page around them does, so a body rendered by a worker
is the one a visit would render.

The cache is only a saving: when it does not answer (its Redis down), each visit renders the body itself and the
pages keep working, slower (``kept_get``/``kept_set``; deploy/README.md, "When a piece is down").
"""

import logging

from django.conf import settings
from django.core.cache import cache
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

KEPT_FOR = 24 * 60 * 60  # seconds; a new version key takes over long before
CACHE_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionRefusedError)

logger = logging.getLogger(__name__)


def kept_get(key: str):
    """The body kept under ``key``; None when there is none or the cache does not answer (the visit renders it)."""
    try:
        return cache.get(key)
    except CACHE_DOWN as error:
        logger.warning("cache unreachable (%s: %s): the public page is rendered without it", type(error).__name__,
                       error, extra={"dependency": "cache"})
        return None


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
                   page: int = 1) -> str:
    """The key of the statistics body (one page of years) in the current language (two queries unless
    ``versions`` is given)."""
    results_version, rules_version = versions or statistics_versions(programme_code)
    return (f"results-statistics:{programme_code or ''}:{results_version}:{rules_version}:"
            f"{translation.get_language()}:{int(internal)}:{page}")


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


def bureau_rows(rows, columns: tuple[str, str, str]) -> SafeString:
    """The rows of a table of bureaus and three counts (on time, late, never), each cell with its data attribute
    (``data-on-time="3"``), joined here for the same reason as ``year_cells``: a province has hundreds of bureaus."""
    return mark_safe("".join(  # noqa: S308 - the name is escaped, the rest are integers
        f'<tr data-bureau="{escape(bureau.short_name)}"><th scope="row">{escape(bureau.short_name)}</th>'
        + "".join(f'<td data-{column}="{int(value)}">{int(value)}</td>' for column, value in zip(columns, counts,
                                                                                                 strict=True))
        + "</tr>"
        for bureau, *counts in rows))


def statistics_body(programme_code: str | None, *, internal: bool, figures: dict | None = None, page: int = 1) -> str:
    """The statistics page's body in the current language (counted now unless ``figures`` is given)."""
    figures = figures or statistics_figures(programme_code, page=page, internal=internal)
    stats = figures["stats"]
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
            rows=[(b.short_name, [on_time, late, never]) for b, on_time, late, never in stats.punctuality])
    return render_to_string("reviews/_statistics_body.html", {
        **figures, "district_chart": district_chart,
        "district_rows": [(d, year_cells(per_year), total) for d, per_year, total in stats.districts],
        "measure_rows": [(m, year_cells(per_year), total) for m, per_year, total in stats.measures],
        "punctuality_rows": bureau_rows(stats.punctuality, ("on-time", "late", "never")) if internal else "",
        "rules_punctuality_rows": bureau_rows(figures["rules_punctuality"], ("on-time", "late", "missing")), "measure_chart": measure_chart,
        "punctuality_chart": punctuality_chart, "internal": internal,
    })


def statistics_body_kept(programme_code: str | None, *, internal: bool, page: int = 1) -> str:
    """The body of one page of years from the cache, rendered and kept on a miss."""
    key = statistics_key(programme_code, internal=internal, page=page)
    body = kept_get(key)
    if body is None:
        body = statistics_body(programme_code, internal=internal, page=page)
        kept_set(key, body)
    return body


# ---------------------------------------------------------------------------------------------------------------
# A year's results


def results_key(cycle: Cycle, programme_code: str | None) -> str:
    """The key of a published year's results body in the current language. One query (the version)."""
    return (f"results-cycle:{cycle.programme.code}:{cycle.year}:{selectors.results_version(programme_code)}:"
            f"{translation.get_language()}")


def results_kept_render(cycle: Cycle) -> dict:
    groups = selectors.cycle_results(cycle=cycle)
    body = render_to_string("reviews/_results_body.html", {
        "groups": groups, "repeat_winners": selectors.repeat_winners(cycle=cycle), "programme": cycle.programme,
    })
    return {"body": body, "award_count": sum(g.award_count for g in groups)}


def results_kept(cycle: Cycle, programme_code: str | None) -> dict:
    """The year's results body and its number of awards, from the cache, rendered and kept on a miss."""
    key = results_key(cycle, programme_code)
    kept = kept_get(key)
    if kept is None:
        kept = results_kept_render(cycle)
        kept_set(key, kept)
    return kept


# ---------------------------------------------------------------------------------------------------------------
# Warming


def public_pages_warm(*, cycle_id: int) -> list[str]:
    """Render into the cache what a publication or a reopening of the cycle changed: its programme's statistics
    (public and internal, in every language of ``settings.LANGUAGES``) and, while it is published, the year's
    results. Returns the keys written. Running it twice only renders the same bodies again."""
    cycle = Cycle.objects.select_related("programme").filter(pk=cycle_id).first()
    if cycle is None:
        return []
    # The programme's public pages: the default programme's at their addresses without a code.
    code = None if cycle.programme.is_default else cycle.programme.code
    published = cycle.state == Cycle.State.PUBLISHED
    versions, figures = statistics_versions(code), statistics_figures(code)
    written = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for internal in (False, True):
                key = statistics_key(code, internal=internal, versions=versions)
                cache.set(key, statistics_body(code, internal=internal, figures=figures), KEPT_FOR)
                written.append(key)
            if published:
                key = results_key(cycle, code)
                cache.set(key, results_kept_render(cycle), KEPT_FOR)
                written.append(key)
    return written
