"""The pages people live in, on the server's side (the browser's side is tests/test_browser_pages_work.py):

* the deadline lights follow the programme's working days (green, yellow from N working days before, red after);
* the reminder ladder ends by telling a late bureau's leader contact, once, on the programme's day after;
* the clerk's home shows every open year, the one closing first on top;
* the editor's autosave keeps a draft and never submits it, never removes anything;
* the desk counts register entries, rules filings and the screening's flags when the screening gives them;
* a refused decision answers its errors first, focused, with what was typed.
"""

import datetime

from django.urls import reverse

from nominations import services as nomination_services
from nominations.deadlines import deadline_light
from nominations.models import BEIJING, NominationList, ReminderSettings
from nominations.reminders import reminders_sweep
from organisation.models import OutboxMessage
from reviews import selectors as review_selectors

from .factories import make_cycle, open_cycle


def beijing(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BEIJING)


def test_the_lights_count_working_days_by_the_official_calendar():
    deadline = beijing(2026, 3, 31, 23, 59, 59)  # a Tuesday
    assert deadline_light(deadline=deadline, now=beijing(2026, 3, 20, 9)) == "green"
    # Five working days before: Wed 25 … Tue 31 leaves 4 after today on Wednesday 25: yellow.
    assert deadline_light(deadline=deadline, now=beijing(2026, 3, 24, 9)) == "green"
    assert deadline_light(deadline=deadline, now=beijing(2026, 3, 25, 9)) == "yellow"
    assert deadline_light(deadline=deadline, now=beijing(2026, 3, 25, 9), warning_working_days=2) == "green"
    assert deadline_light(deadline=deadline, now=beijing(2026, 4, 1, 0, 0, 0)) == "red"
    assert deadline_light(deadline=deadline, now=beijing(2026, 4, 1), done=True) == ""
    # The National Day holidays are no working days: a deadline just after them is yellow a week before.
    assert deadline_light(deadline=beijing(2026, 10, 9, 18), now=beijing(2026, 9, 30, 9)) == "yellow"


def test_the_ladder_ends_with_the_late_bureau_s_leader_once(db, bureau, clerk_water):
    cycle = make_cycle(2025, opens_at=beijing(2026, 1, 5, 9, 0))
    water = bureau("市水务局")
    water.leader_name, water.leader_email = "李局长", "leader@water.gz.gov.cn"
    water.save()
    reminders_sweep(at=beijing(2026, 3, 31, 9, 0))  # the deadline's day: the clerks only
    assert not OutboxMessage.objects.filter(kind="escalation").exists()
    reminders_sweep(at=beijing(2026, 4, 1, 9, 0))  # the day after (the default step): the leader is told, once
    reminders_sweep(at=beijing(2026, 4, 2, 9, 0))
    letter = OutboxMessage.objects.get(kind="escalation")
    assert letter.email == "leader@water.gz.gov.cn" and letter.recipient is None
    assert "李局长" in letter.body_text and "（6）" in letter.body_text and "逾期" in letter.subject
    # The step is a setting of the programme: 0 turns it off.
    OutboxMessage.objects.all().delete()
    ReminderSettings.objects.create(programme=cycle.programme, escalation_days=0)
    reminders_sweep(at=beijing(2026, 4, 5, 9, 0))
    assert not OutboxMessage.objects.filter(kind="escalation").exists()
    assert NominationList.objects.filter(cycle=cycle).count() == 0  # nothing written but messages


def test_the_clerk_s_home_shows_every_open_year_the_one_closing_first_on_top(client, administrator, clerk_water):
    later = open_cycle(administrator, 2091, days_left=300)
    sooner = open_cycle(administrator, 2090, days_left=3)
    client.force_login(clerk_water)
    response = client.get(reverse("nominations:home"))
    assert response.context["cycle"] == sooner
    html = response.content.decode()
    assert html.index('data-open-year="2090"') < html.index('data-open-year="2091"')
    assert 'data-light="yellow"' in html and 'data-light="green"' in html
    assert response.context["open_years"][1]["cycle"] == later


def test_the_autosave_keeps_a_draft_never_submits_it_and_never_removes(client, administrator, clerk_water, category,
                                                                       districts):
    cycle = open_cycle(administrator, 2090)
    water = nomination_services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle, category=category("6"))
    water = nomination_services.nomination_list_save(
        actor=clerk_water, nomination_list=water, version=water.version, entries=[
            nomination_services.NomineeEntry(unit=unit, achievements="原文", figures="", files=[]) for unit in districts[:2]])
    client.force_login(clerk_water)
    url = reverse("nominations:autosave", args=[cycle.year, water.category_id])

    def form(units, version, **extra):
        data = {"rows-TOTAL_FORMS": "3", "rows-INITIAL_FORMS": "0", "version": str(version), "action": "submit"}
        for index in range(3):
            unit = units[index] if index < len(units) else None
            data.update({f"rows-{index}-unit": str(unit.pk) if unit else "", f"rows-{index}-rank": str(index + 1),
                         f"rows-{index}-unit_name": unit.name if unit else "",
                         f"rows-{index}-achievements": "自动保存的文字" if unit else ""})
        return {**data, **extra}

    saved = client.post(url, form([districts[1], districts[0]], water.version))
    assert saved.status_code == 200 and saved.json()["saved"] is True
    water.refresh_from_db()
    assert water.state == "draft" and saved.json()["version"] == water.version  # "submit" is never taken
    assert [n.unit_id for n in water.nominees.order_by("rank")] == [districts[1].pk, districts[0].pk]
    assert set(water.nominees.values_list("achievements", flat=True)) == {"自动保存的文字"}
    removing = client.post(url, form([districts[1]], water.version))
    assert removing.status_code == 400 and removing.json()["saved"] is False
    stale = client.post(url, form([districts[1], districts[0]], water.version - 1))
    assert stale.status_code == 409 and water.nominees.count() == 2


def test_the_desk_counts_register_entries_rules_and_the_screening_s_flags(client, administrator, reviewer,
                                                                           monkeypatch):
    cycle = open_cycle(administrator, 2090)
    client.force_login(reviewer)
    response = client.get(reverse("reviews:queue") + f"?year={cycle.year}")
    kinds = {w.kind: w.count for w in response.context["waiting"]}
    assert kinds == {"lists": 0, "exceptions": 0, "objections": 0, "register": 0, "rules": 0, "screening": 0}
    # The screening's own count (tests/test_screening.py counts real flags), with the pre-flight page to settle them.
    monkeypatch.setattr(review_selectors, "screening_flags_waiting", lambda user: 2)
    response = client.get(reverse("reviews:queue") + f"?year={cycle.year}")
    assert {w.kind: w.count for w in response.context["waiting"]}["screening"] == 2
    assert reverse("reviews:notice", args=[cycle.year]) in response.content.decode()


def test_a_refused_decision_puts_its_errors_first_with_what_was_typed(client, administrator, reviewer, clerk_forestry,
                                                                      category, bureau, districts):
    from tests.browser_helpers import submitted_list

    cycle = open_cycle(administrator, 2090)
    nl = submitted_list(cycle, category("19-2"), bureau("市林业园林局"), districts[:2], clerk_forestry)
    first, second = nl.nominees.order_by("rank")
    client.force_login(reviewer)
    response = client.post(reverse("reviews:list_decide", args=[nl.pk]), {
        f"n{first.pk}-approved": "yes", f"n{first.pk}-comment": "成效突出", f"n{second.pk}-approved": "no"})
    html = response.content.decode()
    assert response.status_code == 400
    assert html.index('id="error-summary"') < html.index('class="decide-form"')
    assert "autofocus" in html[html.index('id="error-summary"') - 120:html.index('id="error-summary"') + 120]
    assert f'href="#id_n{second.pk}-comment"' in html and "成效突出" in html
