"""Screening (负面清单), the balance of the year and the dossier (一事一档), through the pages: an event on a proposed
awardee blocks the public notice until it is settled; the import refuses a bad file whole; the balance of the demo
year against a count of the raw rows; a dossier downloaded and checked against the database by verify_dossier."""

import csv
import datetime
import io
import json
import zipfile
from collections import Counter
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from nominations.demo import demo_load
from nominations.models import Cycle, NominationList, Nominee
from organisation.audit import chain_pending
from organisation.models import AuditEntry, Unit, UnitKind
from reviews import selectors
from reviews.dossier import dossier_build, dossier_verify, dossier_zip
from reviews.models import Award, BalanceSettings, Decision, ScreeningEvent, ScreeningSettlement

from .factories import PHASES_AFTER as AFTER
from .factories import (
    PHASES_YEAR,
    decide_all,
    make_audit_administrator,
    make_cycle,
    make_phases_cycle,
    make_phases_water_list,
    make_second_programme,
    owner_of,
)
from .helpers import audit_sql_as_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(db, category, bureau, districts, clerk_water, reviewer):
    """The 2024 cycle with 市水务局's list of 19-1 decided: the first two districts approved, the third not."""
    cycle = make_phases_cycle()
    water_list = make_phases_water_list(cycle, category, bureau, districts, clerk_water)
    decide_all(reviewer, water_list)
    return cycle, water_list


def _record(client, unit, kind="accountability", day="2024-05-06", **more):
    return client.post(reverse("reviews:screening"), {"unit": unit.pk, "kind": kind, "source_document": "穗纪〔2024〕8号",
                                                      "occurred_on": day, **more})


def _acknowledgements(cycle):
    rows = selectors.notice_preflight(cycle=cycle, now=AFTER).missing
    return {"confirm": "on", **{f"ack-{row.category.pk}": "该类别本年度无符合条件的单位" for row in rows}}


def test_a_screening_event_on_a_proposed_unit_blocks_the_notice_until_settled(client, decided, districts, reviewer):
    cycle, water_list = decided
    kept, withdrawn = districts[0], districts[1]
    client.force_login(reviewer)
    assert _record(client, kept, kind="accountability").status_code == 302
    assert _record(client, withdrawn, kind="audit", day="2023-11-01", ended_on="2024-02-01").status_code == 302
    assert _record(client, kept, day="2022-03-01").status_code == 302          # another year: no flag
    assert _record(client, districts[2]).status_code == 302                    # not approved: no flag
    assert _record(client, kept, day="2024-06-01", ended_on="2024-05-01").status_code == 400  # ends before
    assert ScreeningEvent.objects.count() == 4
    assert selectors.screening_flags_waiting(reviewer) == 2

    # The review page flags both awardees; the pre-flight page names them and the notice is refused.
    page = client.get(reverse("reviews:list", args=[water_list.pk])).content.decode()
    assert page.count("data-screening-flag") == 2 and page.count('data-settled="no"') == 2
    preflight = reverse("reviews:notice", args=[PHASES_YEAR])
    with mock.patch("nominations.deadlines.current_time", return_value=AFTER):
        html = client.get(preflight).content.decode()
        assert html.count('data-blocker="screening"') == 2 and f'data-unit="{kept.name}"' in html
        refused = client.post(preflight, _acknowledgements(cycle))
    assert refused.status_code == 400 and Cycle.objects.get(pk=cycle.pk).state == "open"

    # Settled on the review page: one kept with the reason, the other's award withdrawn.
    flags = {flag.unit_id: flag for flag in selectors.screening_flags(cycle=cycle)}
    settle = lambda flag, outcome, reason: client.post(  # noqa: E731
        reverse("reviews:screening_settle", args=[flag.award.pk, flag.event.pk]), {"outcome": outcome, "reason": reason})
    assert settle(flags[kept.pk], "kept", "").status_code == 302  # no reason: nothing settled
    assert not ScreeningSettlement.objects.exists()
    settle(flags[kept.pk], "kept", "问责对象为个人，与本年度工作成效无关")
    settle(flags[withdrawn.pk], "withdrawn", "审计问题在评价年度内未整改")
    assert set(ScreeningSettlement.objects.values_list("unit_id", "outcome")) == {(kept.pk, "kept"),
                                                                                 (withdrawn.pk, "withdrawn")}
    assert not Award.objects.filter(cycle=cycle, unit=withdrawn).exists()
    assert not Decision.objects.get(nominee__nomination_list=water_list, nominee__unit=withdrawn).approved
    assert {"screening_flag.kept", "screening_flag.withdrawn", "award.withdrawn"} <= set(
        AuditEntry.objects.values_list("action", flat=True))
    assert selectors.screening_flags_waiting(reviewer) == 0
    assert 'data-settled="no"' not in client.get(reverse("reviews:list", args=[water_list.pk])).content.decode()
    with mock.patch("nominations.deadlines.current_time", return_value=AFTER):
        assert 'data-blocker="screening"' not in client.get(preflight).content.decode()
        started = client.post(preflight, _acknowledgements(cycle))
    assert started.status_code == 302 and Cycle.objects.get(pk=cycle.pk).state == "notice"


def test_the_waiting_flags_are_counted_through_the_door(decided, districts, reviewer, clerk_water):
    cycle, _list = decided
    ScreeningEvent.objects.create(programme=cycle.programme, unit=districts[0], kind="audit", source_document="审计报告",
                                  occurred_on=datetime.date(2024, 3, 1), recorded_by=reviewer)
    jiangsu = make_second_programme(PHASES_YEAR)
    assert [selectors.screening_flags_waiting(p) for p in (reviewer, clerk_water, jiangsu.reviewer)] == [1, 0, 0]


def _upload(client, rows, name="events.csv"):
    body = io.StringIO()
    csv.writer(body).writerows(rows)
    return client.post(reverse("reviews:screening_import"),
                       {"file": SimpleUploadedFile(name, body.getvalue().encode("utf-8"), content_type="text/csv")})


def test_the_import_refuses_a_bad_row_whole_and_takes_a_good_file(client, reviewer, districts):
    client.force_login(reviewer)
    header = ["单位", "类别", "来源文件", "发生日期", "截止日期", "情况说明"]
    bad = _upload(client, [header, [districts[0].name, "问责", "穗纪〔2024〕8号", "2024-05-06", "", ""],
                           ["不存在区", "问责", "穗纪〔2024〕9号", "2024-05-06", "", ""],
                           [districts[1].name, "问责", "穗纪〔2024〕10号", "2024-13-01", "", ""]])
    html = bad.content.decode()
    assert bad.status_code == 400 and 'data-row="3" data-column="单位"' in html
    assert 'data-row="4" data-column="发生日期"' in html and 'name="token"' not in html
    assert not ScreeningEvent.objects.exists()
    good = _upload(client, [header, [districts[0].name, "问责", "穗纪〔2024〕8号", "2024-05-06", "", "通报问责"],
                            [districts[1].name, "督查发现问题未整改", "督查通报", "2024-02-01", "2024-09-30", ""]])
    assert good.status_code == 200
    token = good.context["token"]
    assert not ScreeningEvent.objects.exists()  # the preview writes nothing
    assert client.post(reverse("reviews:screening_import"), {"token": token, "confirm": "1"}).status_code == 302
    assert sorted(ScreeningEvent.objects.values_list("unit__name", "kind")) == sorted(
        [(districts[0].name, "accountability"), (districts[1].name, "unrectified")])
    assert AuditEntry.objects.filter(action="screening_event.imported").count() == 2


# --- the balance of the year --------------------------------------------------------------------------------------


def _awards(cycle, code, units, category):
    cat = category(code)
    nl = NominationList.objects.create(cycle=cycle, category=cat, bureau=owner_of(cat), state="decided")
    for slot, unit in enumerate(units, 1):
        nominee = Nominee.objects.create(nomination_list=nl, unit=unit, rank=slot, achievements="成效明显")
        Award.objects.create(cycle=cycle, category=cat, unit=unit, nominee=nominee, slot=slot)


def test_the_balance_of_the_demo_year_flags_the_repeat_winner(client, reviewer, category):
    demo_load()
    cycle = Cycle.objects.get(programme__is_default=True, state=Cycle.State.OPEN)
    unit = {u.name: u for u in Unit.objects.filter(programme=cycle.programme)}
    for back in (2, 1):  # 海珠区 won 6 in both earlier published years; 越秀区 only in the last one
        earlier = make_cycle(cycle.year - back, state=Cycle.State.PUBLISHED)
        _awards(earlier, "6", [unit["海珠区"]] + ([unit["越秀区"]] if back == 1 else []), category)
    _awards(cycle, "6", [unit["海珠区"], unit["越秀区"], unit["猎德街道"]], category)
    _awards(cycle, "16-2", [unit["广州市第一人民医院"]], category)
    _awards(cycle, "16-1", [unit["天河区"]], category)
    _awards(cycle, "19-1", [unit["天河区"]], category)
    client.force_login(reviewer)
    html = client.get(reverse("reviews:balance", args=[cycle.year])).content.decode()

    # The count, from the raw rows: each award's district is its unit, or its unit's parent district.
    by_district, by_kind, by_measure = Counter(), Counter(), Counter()
    for unit_kind, parent_kind, name, parent_name, kind_name, measure in Award.objects.filter(cycle=cycle).values_list(
            "unit__kind_id", "unit__parent__kind_id", "unit__name", "unit__parent__name", "unit__kind__name",
            "category__measure__number"):
        if unit_kind == UnitKind.DISTRICT:
            by_district[name] += 1
        elif parent_kind == UnitKind.DISTRICT:
            by_district[parent_name] += 1
        by_kind[kind_name] += 1
        by_measure[measure] += 1
    for name, count in by_district.items():
        assert f'<tr data-district="{name}"><th scope="row">{name}</th>' in html
        assert html.split(f'<tr data-district="{name}">')[1].split("</tr>")[0].endswith(f'data-count="{count}">{count}</td>')
    assert by_district["天河区"] == 3 and by_district["越秀区"] == 1   # a hospital has no district; 猎德街道 counts for 天河区
    for name, count in by_kind.items():
        assert f'<tr data-kind="{name}"><th scope="row">{name}</th><td data-count="{count}">' in html
    for number, count in by_measure.items():
        assert f'data-measure="{number}"' in html and html.split(f'data-measure="{number}"')[1].split(
            "</tr>")[0].endswith(f'<td data-count="{count}">{count}</td>')
    active = set(Unit.objects.filter(programme=cycle.programme, kind_id=UnitKind.DISTRICT, is_active=True)
                 .values_list("name", flat=True))
    assert f'data-districts-without="{len(active - set(by_district))}"' in html
    assert 'data-unit="海珠区" data-category="6" data-flagged="yes"' in html
    assert 'data-unit="越秀区" data-category="6" data-flagged="no"' in html and html.count('data-flagged="yes"') == 1
    # The programme's setting: two years running flags 越秀区 too.
    BalanceSettings.objects.create(programme=cycle.programme, repeat_years=2)
    assert client.get(reverse("reviews:balance", args=[cycle.year])).content.decode().count('data-flagged="yes"') == 2
    exported = client.get(reverse("reviews:balance_export", args=[cycle.year]), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert exported.status_code == 200 and rows[0][0] == "部分" and sum(1 for r in rows[1:] if r[5]) == 2
    assert AuditEntry.objects.filter(action="data.exported", message="balance").count() == 1
    assert client.get(reverse("reviews:balance_export", args=[cycle.year]), {"format": "pdf"}).status_code == 404


# --- the dossier --------------------------------------------------------------------------------------------------


def _as_committed():
    """The step a commit runs first on PostgreSQL: the audit records written so far are chained (a test's
    transaction never commits; SQLite chains as it writes; tests/test_audit_chain.py shows the real commit)."""
    if connection.vendor == "postgresql":
        chain_pending()


def test_a_dossier_is_downloaded_and_checked_against_the_database(client, decided, districts, reviewer, category,
                                                                 tmp_path, capsys):
    cycle, water_list = decided
    client.force_login(reviewer)
    _record(client, districts[0])
    flag = selectors.screening_flags(cycle=cycle)[0]
    client.post(reverse("reviews:screening_settle", args=[flag.award.pk, flag.event.pk]),
                {"outcome": "kept", "reason": "问责对象为个人"})
    auditor = make_audit_administrator()
    client.force_login(auditor)
    assert 'data-category="19-1"' in client.get(reverse("reviews:dossiers", args=[PHASES_YEAR])).content.decode()
    _as_committed()
    response = client.get(reverse("reviews:dossier", args=[PHASES_YEAR, category("19-1").pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        document = json.loads(archive.read("dossier.json"))
        assert archive.read("dossier.pdf").startswith(b"%PDF")
    sections = {s["key"]: s["entries"] for s in document["sections"]}
    assert list(sections) == ["criteria", "sheet", "recusals", "panel", "screening", "decisions", "exception", "objections",
                              "publication"]
    nominees = [e for e in sections["decisions"] if e["kind"] == "nominations.nominee"]
    assert len(nominees) == 3 and nominees[0]["data"]["decision"]["approved"] is True
    assert sections["screening"][0]["data"]["reason"] == "问责对象为个人"
    chains = dict(AuditEntry.objects.values_list("pk", "chain"))
    audited = [a for s in document["sections"] for e in s["entries"] for a in e["audit"]]
    assert audited and all(chains[a["id"]] == a["chain"] for a in audited)
    assert all(e["audit"] for e in nominees + sections["screening"])
    assert AuditEntry.objects.filter(action="data.exported", message="dossier", actor=auditor).exists()

    path = tmp_path / "dossier.zip"
    path.write_bytes(response.content)
    call_command("verify_dossier", str(path))
    assert "OK" in capsys.readouterr().out
    changed = Nominee.objects.get(nomination_list=water_list, rank=3)
    Decision.objects.filter(nominee=changed).update(comment="改过的理由")
    with pytest.raises(CommandError, match="no longer matches"):
        call_command("verify_dossier", str(path))
    assert f"nominations.nominee:{changed.pk}" in capsys.readouterr().err


def test_verify_dossier_refuses_a_file_that_is_not_one(tmp_path):
    path = tmp_path / "other.zip"
    path.write_bytes(b"PK\x03\x04 nothing")
    with pytest.raises(CommandError, match="not a dossier file"):
        call_command("verify_dossier", str(path))


def test_an_audit_record_changed_breaks_the_dossiers_chain(decided, category):
    cycle, _list = decided
    _as_committed()
    dossier = dossier_build(cycle=cycle, category=category("19-1"))
    with mock.patch("reviews.dossier.dossier_pdf", return_value=b"%PDF-1.7 test"):  # the PDF is another test's
        data = dossier_zip(dossier)
    entry = next(e for e in dossier.entries if e.kind == "nominations.nominee" and e.audit)
    audit_sql_as_owner(f"UPDATE {AuditEntry._meta.db_table} SET message = %s WHERE id = %s", ["改写", entry.audit[0]["id"]])
    _header, mismatches, _checked = dossier_verify(data)
    assert [(m.key, m.what) for m in mismatches] == [(entry.key, "chain")]
