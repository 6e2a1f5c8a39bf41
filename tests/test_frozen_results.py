"""A published year never changes: a catalogue import that renames a measure, a category renamed in the admin and
a unit renamed afterwards leave its results page, its awards on the unit's page and a re-rendered bulletin
exactly as they were; the import's preview says that the document has published years."""

import csv
import datetime
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from measures.exports import CATALOGUE_LABELS, catalogue_rows
from measures.importing.admin_views import _preview_context
from measures.importing.spreadsheet import plan_catalogue_file
from measures.models import IncentiveCategory, Measure, PolicyDocument
from nominations.models import BEIJING
from organisation.models import Unit, UnitKind
from reviews import services as review_services
from reviews.bulletins import bulletin_context

from .factories import award_all, make_cycle, publish_final

pytestmark = pytest.mark.django_db

NEW_TITLE = "水务建设投资与管理（新版）"
YEAR = 2024


def make_cycle_for(year):
    return make_cycle(year, opens_at=datetime.datetime(year, 6, 1, tzinfo=BEIJING))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf_text(path: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed"
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def main_of(html: str) -> str:
    """The page's content, without the per-request CSRF token of the language menu and with the bulletin's link
    to its newest version (rendering it again is meant to add a version) written without the version's id."""
    main = html[html.index("<main"):html.index("</main>")]
    main = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main)
    return re.sub(r"/bulletins/v/\d+/", "/bulletins/v/N/", main)


def render_bulletin(cycle, reviewer, capture) -> str:
    with capture(execute=True):
        bulletin = review_services.bulletin_request(cycle=cycle, actor=reviewer)
    bulletin.refresh_from_db()
    assert bulletin.status == "done", bulletin.error
    return pdf_text(Path(bulletin.file.path))


def catalogue_with_measure_6_renamed(document) -> bytes:
    rows = [list(map(str, row)) for row in catalogue_rows(document)]
    header = rows[0]
    number, title = header.index(CATALOGUE_LABELS["measure_number"]), header.index(CATALOGUE_LABELS["measure_title"])
    for row in rows[1:]:
        if row[number] == "6":
            row[title] = NEW_TITLE
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_renames_after_publication_change_nothing_published(client, reviewer, administrator, category, bureau,
                                                            tmp_path, django_capture_on_commit_callbacks):
    cycle = make_cycle_for(YEAR)
    award_all(cycle, category, bureau)
    with django_capture_on_commit_callbacks(execute=True):
        publish_final(reviewer, cycle)
    cycle.refresh_from_db()
    haizhu = Unit.objects.get(name="海珠区", kind_id=UnitKind.DISTRICT)
    results_url, unit_url = reverse("results:cycle", args=[YEAR]), reverse("results:unit", args=[haizhu.pk])
    results_before = main_of(client.get(results_url).content.decode())
    unit_before = client.get(unit_url).content.decode()
    bulletin_before = render_bulletin(cycle, reviewer, django_capture_on_commit_callbacks)
    measure_6 = Measure.objects.get(document__in_force=True, number=6)
    assert measure_6.title in results_before and measure_6.title in bulletin_before and "海珠区" in bulletin_before

    # A catalogue import renames measure 6: the preview says the document has a published year.
    source = tmp_path / "catalogue.csv"
    source.write_bytes(catalogue_with_measure_6_renamed(measure_6.document))
    out = io.StringIO()
    call_command("import_measures", str(source), "--dry-run", stdout=out)
    assert f"WARNING {measure_6.document.number} has published years ({YEAR})" in out.getvalue()
    plan = plan_catalogue_file(source.read_bytes(), filename="catalogue.csv", document=measure_6.document)
    assert _preview_context(plan, 0.1)["published_years"] == [YEAR]
    call_command("import_measures", str(source), stdout=io.StringIO())
    measure_6.refresh_from_db()
    assert measure_6.title == NEW_TITLE
    # A category and a unit renamed, the policy document retitled.
    IncentiveCategory.objects.filter(pk=category("19-2").pk).update(name="林长制（改）")
    Unit.objects.filter(pk=haizhu.pk).update(name="海珠新区", full_name="广州市海珠新区", division_order=999)
    PolicyDocument.objects.filter(pk=cycle.document_id).update(title="改过的标题")
    cache.clear()   # the page body kept for speed must not hide a change

    results_after = main_of(client.get(results_url).content.decode())
    assert results_after == results_before and NEW_TITLE not in results_after
    unit_after = client.get(unit_url).content.decode()
    table = lambda html: html[html.index("<tbody>"):html.index("</tbody>")]  # noqa: E731
    assert table(unit_after) == table(unit_before) and "海珠新区" in unit_after   # the heading is today's name
    bulletin_after = render_bulletin(cycle, reviewer, django_capture_on_commit_callbacks)
    assert bulletin_after == bulletin_before
    context = bulletin_context(cycle)
    assert "广州市海珠区" in context.awardees and "广州市海珠新区" not in context.awardees
    assert context.policy_title != "改过的标题"


def test_a_year_not_yet_published_reads_the_catalogue_as_it_is(reviewer, category, bureau):
    cycle = make_cycle_for(YEAR)
    award_all(cycle, category, bureau)
    Unit.objects.filter(name="海珠区", kind_id=UnitKind.DISTRICT).update(name="海珠新区", full_name="广州市海珠新区")
    assert "广州市海珠新区" in bulletin_context(cycle).awardees
