"""Implementation rules (实施办法): each bureau that prepares a measure's lists files its rules by the document's due
date (2023-01-31 for 穗府办〔2022〕30号); the General Office accepts them or sends them back with reasons; reminders
go out before the due date like the March deadline's; the measure's page shows the rules in force; the review
page shows who filed on time."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incentives.errors import DomainError, PermissionDeniedError
from measures.models import ImplementationRules, Measure
from nominations import reminders
from nominations import services as nomination_services
from nominations.deadlines import rules_deadline
from nominations.models import BEIJING
from organisation.models import AuditEntry, OutboxMessage
from reviews import selectors, services

pytestmark = pytest.mark.django_db


def pdf(name="实施办法.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def measure6():
    return Measure.objects.select_related("document").get(number=6, document__in_force=True)


def test_the_2022_notice_sets_its_due_date(measure6):
    assert measure6.document.rules_due_on == datetime.date(2023, 1, 31)
    assert rules_deadline(measure6.document) == datetime.datetime(2023, 1, 31, 23, 59, 59, tzinfo=BEIJING)


def test_the_bureau_files_the_reviewer_accepts_and_the_measure_page_shows_them(clerk_water, reviewer, bureau, measure6,
                                                                             client):
    filing = nomination_services.rules_file(actor=clerk_water, measure=measure6, bureau=bureau("市水务局"),
                                            title="广州市水务建设投资激励实施办法", upload=pdf(),
                                            now=datetime.datetime(2023, 1, 20, 10, 0, tzinfo=BEIJING))
    assert filing.state == "submitted" and filing.sha256 and filing.original_name == "实施办法.pdf"
    with pytest.raises(DomainError, match="already wait"):
        nomination_services.rules_file(actor=clerk_water, measure=measure6, bureau=bureau("市水务局"), title="又一份",
                                       upload=pdf())
    services.rules_accept(actor=reviewer, rules=filing)
    filing.refresh_from_db()
    assert filing.state == "accepted" and filing.decided_by == reviewer
    assert "已通过审核" in OutboxMessage.objects.get(kind="rules_decided", recipient=clerk_water).subject
    client.force_login(clerk_water)
    html = client.get(reverse("measures:detail", args=[measure6.pk])).content.decode()
    assert 'data-bureau="市水务局"' in html and "广州市水务建设投资激励实施办法" in html
    download = client.get(reverse("nominations:rules_download", args=[filing.token]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_rules_sent_back_need_reasons_and_are_filed_again(clerk_water, reviewer, bureau, measure6):
    filing = nomination_services.rules_file(actor=clerk_water, measure=measure6, bureau=bureau("市水务局"),
                                            title="实施办法（初稿）", upload=pdf())
    with pytest.raises(DomainError) as refused:
        services.rules_return(actor=reviewer, rules=filing, reason=" ")
    assert refused.value.field == "reason"
    services.rules_return(actor=reviewer, rules=filing, reason="评选标准不够具体。")
    filing.refresh_from_db()
    assert filing.state == "returned" and filing.decision_reason == "评选标准不够具体。"
    again = nomination_services.rules_file(actor=clerk_water, measure=measure6, bureau=bureau("市水务局"),
                                           title="实施办法（修改稿）", upload=pdf())
    assert again.state == "submitted"
    assert AuditEntry.objects.filter(action="implementation_rules.returned").count() == 1


def test_a_bad_file_or_another_bureau_is_refused_and_nothing_is_written(clerk_water, clerk_ndrc, bureau, measure6):
    fake = SimpleUploadedFile("实施办法.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(DomainError, match="not really"):
        nomination_services.rules_file(actor=clerk_water, measure=measure6, bureau=bureau("市水务局"), title="办法",
                                       upload=fake)
    with pytest.raises(DomainError) as refused:
        nomination_services.rules_file(actor=clerk_water, measure=measure6, bureau=bureau("市水务局"), title=" ",
                                       upload=pdf())
    assert refused.value.field == "title"
    with pytest.raises(PermissionDeniedError):  # 市发展改革委 is only co-responsible for measure 6
        nomination_services.rules_file(actor=clerk_ndrc, measure=measure6, bureau=bureau("市发展改革委"), title="办法",
                                       upload=pdf())
    assert not ImplementationRules.objects.exists()


def test_reminders_go_out_before_the_due_date_to_bureaus_that_have_not_filed(clerk_water, clerk_forestry, bureau,
                                                                            measure6):
    week_before = datetime.datetime(2023, 1, 24, 9, 0, tzinfo=BEIJING)
    planned = reminders.rules_reminders_plan(at=week_before)
    water = [p for p in planned if p.recipient == clerk_water]
    assert {p.measure.number for p in water} == {6, 19, 31}  # 市水务局 prepares 6, 19-1 and 31
    assert all(p.offset == 7 for p in water)
    assert any(p.recipient == clerk_forestry and p.measure.number == 19 for p in planned)
    nomination_services.rules_file(actor=clerk_water, measure=measure6, bureau=bureau("市水务局"), title="办法",
                                   upload=pdf(), now=datetime.datetime(2023, 1, 24, 10, 0, tzinfo=BEIJING))
    later = reminders.rules_reminders_plan(at=datetime.datetime(2023, 1, 28, 9, 0, tzinfo=BEIJING))
    assert not any(p.recipient == clerk_water and p.measure.number == 6 for p in later)
    # Recorded once: a second sweep at the same moment records nothing new.
    result = reminders.reminders_sweep(at=week_before)
    assert any(m.kind == "rules_due" and "实施办法" in m.subject for m in result.recorded)
    assert reminders.reminders_sweep(at=week_before).recorded == []
    # After the due date, nothing more is sent.
    assert reminders.rules_reminders_plan(at=datetime.datetime(2023, 2, 1, 9, 0, tzinfo=BEIJING)) == []


def test_the_review_page_shows_who_filed_on_time(clerk_water, clerk_forestry, reviewer, bureau, measure6, client):
    nomination_services.rules_file(actor=clerk_water, measure=measure6, bureau=bureau("市水务局"), title="办法",
                                   upload=pdf(), now=datetime.datetime(2023, 1, 31, 23, 59, 59, tzinfo=BEIJING))
    forests = Measure.objects.get(number=19, document__in_force=True)
    nomination_services.rules_file(actor=clerk_forestry, measure=forests, bureau=bureau("市林业园林局"), title="办法",
                                   upload=pdf(), now=datetime.datetime(2023, 2, 1, 0, 0, 0, tzinfo=BEIJING))
    rows = selectors.rules_overview(document=measure6.document)
    punctuality = {b.short_name: (on_time, late, missing) for b, on_time, late, missing in selectors.rules_punctuality(rows)}
    assert punctuality["市水务局"][0] == 1 and punctuality["市水务局"][2] >= 1   # 6 on time; 19 and 31 not filed
    assert punctuality["市林业园林局"] == (0, 1, 0)
    # The statistics count the same from the pairs and their first filings alone.
    assert selectors.rules_punctuality_of(document=measure6.document) == selectors.rules_punctuality(rows)
    client.force_login(reviewer)
    html = client.get(reverse("reviews:rules")).content.decode()
    assert 'data-bureau="市林业园林局"' in html and 'data-on-time="no"' in html and 'data-on-time="yes"' in html
