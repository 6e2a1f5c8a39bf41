"""The bulletin (通报): its PDF's text and fonts, its versions, and who may download it."""

import datetime
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from incentives.errors import PermissionDeniedError
from nominations.models import BEIJING, Cycle
from organisation.models import AuditEntry
from reviews import bulletins
from reviews import services as review_services
from reviews.models import Bulletin
from reviews.tasks import bulletin_render

from .factories import AWARDED, make_awarded_cycle


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pdf_text(path: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed"
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_fonts(path: Path) -> list[list[str]]:
    assert shutil.which("pdffonts"), "pdffonts (poppler-utils) is needed"
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return [line.split() for line in lines]


@pytest.fixture
def cycle(db, category, bureau):
    return make_awarded_cycle(category, bureau)


def publish(cycle, reviewer):
    cycle.state = Cycle.State.PUBLISHED
    cycle.published_at = datetime.datetime(2026, 4, 20, 10, 0, tzinfo=BEIJING)
    cycle.published_by = reviewer
    cycle.save()


def request_and_render(cycle, actor, django_capture_on_commit_callbacks) -> Bulletin:
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = review_services.bulletin_request(cycle=cycle, actor=actor)
    bulletin.refresh_from_db()
    return bulletin


def test_the_pdf_names_every_awardee_in_administrative_order_under_its_measure(cycle, reviewer, django_capture_on_commit_callbacks):
    bulletin = request_and_render(cycle, reviewer, django_capture_on_commit_callbacks)

    assert bulletin.status == Bulletin.Status.DONE
    text = pdf_text(Path(bulletin.file.path))
    flat = "".join(text.split())
    for names in AWARDED.values():
        for name in names:
            assert f"广州市{name}" in flat
    # Administrative order inside a category: 越秀 (100) before 海珠 (200) before 番禺, whatever the slots.
    assert "广州市越秀区、广州市海珠区、广州市番禺区激励支持" in flat
    # One section per measure, in the measure's order, with the official layout's fixed parts.
    assert flat.index("一、") < flat.index("二、") < flat.index("三、")
    assert "（一）" in flat and "（二）" in flat  # measure 19 has two categories: 河长制湖长制 and 林长制
    for part in ("广州市人民政府办公厅文件", "穗府办〔2026〕13号", "各区人民政府，市政府各部门、各直属机构：", "抄送：",
                 "广州市人民政府办公厅秘书处", "—1—"):
        assert part in flat
    assert "9个（次）单位" in flat


def test_the_chinese_fonts_are_embedded(cycle, reviewer, django_capture_on_commit_callbacks):
    bulletin = request_and_render(cycle, reviewer, django_capture_on_commit_callbacks)

    fonts = pdf_fonts(Path(bulletin.file.path))
    names = {row[0].split("+", 1)[-1]: row for row in fonts}
    for family in ("Noto-Serif-CJK-SC", "Noto-Serif-CJK-SC-Bold", "Noto-Sans-CJK-SC", "AR-PL-UKai-CN"):
        assert family in names, names
    for row in fonts:
        emb, sub = row[-5], row[-4]
        assert (emb, sub) == ("yes", "yes"), row


def test_the_file_is_stored_with_its_checksum_and_every_version_is_kept(cycle, reviewer, django_capture_on_commit_callbacks):
    first = request_and_render(cycle, reviewer, django_capture_on_commit_callbacks)
    second = request_and_render(cycle, reviewer, django_capture_on_commit_callbacks)

    assert (first.version, second.version) == (1, 2)
    for bulletin in (first, second):
        content = Path(bulletin.file.path).read_bytes()
        assert content.startswith(b"%PDF-")
        assert hashlib.sha256(content).hexdigest() == bulletin.sha256 and len(content) == bulletin.size
    assert first.file.name != second.file.name and Path(first.file.path).exists()
    assert AuditEntry.objects.filter(action="bulletin.rendered").count() == 2
    assert AuditEntry.objects.filter(action="bulletin.requested", actor=reviewer).count() == 2


def test_rendering_a_version_twice_does_nothing_more(cycle, reviewer, django_capture_on_commit_callbacks):
    bulletin = request_and_render(cycle, reviewer, django_capture_on_commit_callbacks)

    assert bulletin_render.delay(bulletin.pk).get() is None  # a redelivered task
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.DONE and Bulletin.objects.count() == 1


def test_a_failed_render_is_recorded(cycle, reviewer, monkeypatch, django_capture_on_commit_callbacks):
    def broken(html):
        raise RuntimeError("fonts missing")

    monkeypatch.setattr(bulletins, "bulletin_document", broken)
    bulletin = request_and_render(cycle, reviewer, django_capture_on_commit_callbacks)

    assert bulletin.status == Bulletin.Status.FAILED and "fonts missing" in bulletin.error
    assert not bulletin.file


def test_only_reviewers_can_request_a_render(cycle, clerk_water):
    with pytest.raises(PermissionDeniedError):
        review_services.bulletin_request(cycle=cycle, actor=clerk_water)
    assert Bulletin.objects.count() == 0


def test_without_a_document_number_the_serial_is_left_blank(cycle):
    cycle.bulletin_number = ""
    cycle.published_at = datetime.datetime(2026, 4, 20, 10, 0, tzinfo=BEIJING)
    assert bulletins.bulletin_number(cycle) == "穗府办〔2026〕\u3000\u3000号"
    # Before publication: the earliest year it can be published in.
    cycle.published_at = None
    assert bulletins.bulletin_issue_year(cycle) == max(2026, timezone.localdate().year)


def test_the_command_renders_at_once(cycle, tmp_path, capsys):
    output, ofd = tmp_path / "bulletin.pdf", tmp_path / "bulletin.ofd"
    call_command("render_bulletin", "2025", "--output", str(output), "--ofd", str(ofd))

    assert "广州市天河区" in "".join(pdf_text(output).split())
    printed = capsys.readouterr().out
    assert hashlib.sha256(output.read_bytes()).hexdigest() in printed
    assert ofd.read_bytes().startswith(b"PK") and hashlib.sha256(ofd.read_bytes()).hexdigest() in printed


# --- Pages ---------------------------------------------------------------------------------------------------

def test_reviewers_download_every_version_before_publication(client, cycle, reviewer, django_capture_on_commit_callbacks):
    first = request_and_render(cycle, reviewer, django_capture_on_commit_callbacks)
    request_and_render(cycle, reviewer, django_capture_on_commit_callbacks)
    client.force_login(reviewer)

    response = client.get(reverse("bulletins:download", args=[first.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == first.sha256
    versions = client.get(reverse("bulletins:versions", args=[2025]))
    assert versions.status_code == 200 and versions.content.count(b'/download/"') == 2
    assert versions.content.count(b'/download/ofd/"') == 2


def test_the_public_downloads_only_the_newest_version_and_only_once_published(client, cycle, reviewer, clerk_water,
                                                                              django_capture_on_commit_callbacks):
    first = request_and_render(cycle, reviewer, django_capture_on_commit_callbacks)
    assert client.get(reverse("bulletins:download", args=[first.pk])).status_code == 404
    assert client.get(reverse("bulletins:status", args=[first.pk])).status_code == 404

    second = request_and_render(cycle, reviewer, django_capture_on_commit_callbacks)
    publish(cycle, reviewer)

    assert client.get(reverse("bulletins:download", args=[second.pk])).status_code == 200
    assert client.get(reverse("bulletins:download", args=[first.pk])).status_code == 404
    client.force_login(clerk_water)
    assert client.get(reverse("bulletins:download", args=[second.pk])).status_code == 200
    assert client.get(reverse("bulletins:versions", args=[2025])).status_code == 404
    assert client.post(reverse("bulletins:request", args=[2025])).status_code == 404


def test_the_status_shows_progress_then_the_download_link(client, cycle, reviewer):
    publish(cycle, reviewer)
    bulletin = review_services.bulletin_request(cycle=cycle, actor=reviewer)  # on_commit not run: still waiting

    state = client.get(reverse("bulletins:status", args=[bulletin.pk])).json()
    assert state["status"] == "pending" and state["finished"] is False and state["download_url"] is None
    page = client.get(reverse("bulletins:progress", args=[bulletin.pk])).content.decode()
    assert f'data-status-url="{reverse("bulletins:status", args=[bulletin.pk])}"' in page and "<noscript>" in page

    bulletins.bulletin_render(bulletin_id=bulletin.pk)
    state = client.get(reverse("bulletins:status", args=[bulletin.pk])).json()
    assert state["status"] == "done" and state["download_url"] == reverse("bulletins:download", args=[bulletin.pk])


def test_a_reviewer_requests_a_render_from_the_versions_page(client, cycle, reviewer, django_capture_on_commit_callbacks):
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("bulletins:request", args=[2025]))

    bulletin = Bulletin.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("bulletins:progress", args=[bulletin.pk])
    assert bulletin.status == Bulletin.Status.DONE and bulletin.requested_by == reviewer


def test_the_results_page_include_links_the_newest_bulletin_and_shows_progress(cycle, reviewer, rf,
                                                                                 django_capture_on_commit_callbacks):
    from django.template.loader import render_to_string

    def render(c):
        return render_to_string("reviews/_bulletin_download.html", {"cycle": c}, request=rf.get("/results/"))

    done = request_and_render(cycle, reviewer, django_capture_on_commit_callbacks)
    assert "/download/" not in render(cycle)  # not published yet: nothing public

    publish(cycle, reviewer)
    assert reverse("bulletins:download", args=[done.pk]) in render(cycle)
    working = review_services.bulletin_request(cycle=cycle, actor=reviewer)
    html = render(cycle)
    assert reverse("bulletins:download", args=[done.pk]) in html
    # static/js/site.js polls every element carrying its status address (no inline script: the CSP forbids them).
    assert f'data-status-url="{reverse("bulletins:status", args=[working.pk])}"' in html and "<script>" not in html


def test_the_versions_page_runs_a_fixed_number_of_queries(client, cycle, reviewer, django_assert_max_num_queries):
    client.force_login(reviewer)
    Bulletin.objects.create(cycle=cycle, version=1, requested_by=reviewer)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("bulletins:versions", args=[2025])).status_code == 200
    for version in range(2, 12):
        Bulletin.objects.create(cycle=cycle, version=version, requested_by=reviewer, finished_at=timezone.now())
    with django_assert_max_num_queries(8):
        assert client.get(reverse("bulletins:versions", args=[2025])).status_code == 200


def test_publishing_renders_the_bulletin_and_the_results_page_links_it(client, cycle, reviewer,
                                                                       django_capture_on_commit_callbacks):
    from .factories import publish_final

    with django_capture_on_commit_callbacks(execute=True):
        publish_final(reviewer, cycle)

    bulletin = Bulletin.objects.get(cycle=cycle)
    assert bulletin.status == Bulletin.Status.DONE and bulletin.requested_by == reviewer
    page = client.get(reverse("results:cycle", args=[2025]))
    assert page.status_code == 200
    assert reverse("bulletins:download", args=[bulletin.pk]) in page.content.decode()
    assert client.get(reverse("bulletins:download", args=[bulletin.pk])).status_code == 200
