"""The access door itself (``organisation.access``): its answers, its refusals as a person meets them on a page,
and the two promises a reader can check with grep — no template tests a state, and no scope function lives
outside the door's modules."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from measures.models import IncentiveCategory
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, Cycle, NominationList
from nominations.phases import PHASE_CHANGES, Change, phase_allows
from organisation import access, roles
from organisation.models import Bureau, Unit, UnitKind
from reviews.models import Award, Disbursement, HigherAward

from .factories import make_user

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def year_with_money(settings, tmp_path):
    """Guangzhou's year under way, with a money award (measure 32's entitlement of 天河区) and its register entry."""
    settings.MEDIA_ROOT = str(tmp_path)
    finance = make_user("door_finance", role=roles.BUREAU_STAFF, bureaus=[Bureau.objects.get(short_name="市财政局")])
    reviewer = make_user("door_reviewer", role=roles.REVIEWER)
    year = timezone.now().astimezone(BEIJING).year
    category = IncentiveCategory.objects.get(measure__document__in_force=True, code="32-2")
    cycle = Cycle.objects.create(year=year, document=category.measure.document,
                                 opens_at=datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                                 deadline=default_deadline_for(year))
    tianhe = Unit.objects.get(kind_id=UnitKind.DISTRICT, name="天河区")
    entry = HigherAward.objects.create(cycle=cycle, document_number="国办发〔2022〕21号", higher_measure="稳增长",
                                       unit=tianhe, awarded_on=datetime.date(2022, 5, 1), recorded_by=finance,
                                       category=category, state=HigherAward.State.CONFIRMED,
                                       confirmed_by=reviewer, confirmed_at=timezone.now())
    award = Award.objects.create(cycle=cycle, category=category, unit=tianhe, higher_award=entry,
                                 is_entitlement=True, slot=None, amount=category.award_amount)
    return {"finance": finance, "reviewer": reviewer, "cycle": cycle, "award": award, "entry": entry}


def test_a_model_without_a_rule_for_an_action_is_refused_loudly_never_opened(year_with_money):
    with pytest.raises(LookupError, match="No access rule"):
        access.restrict(Award.objects.all(), year_with_money["reviewer"], "publish")


def test_restrict_is_one_condition_and_signed_out_people_read_nothing(year_with_money, django_assert_num_queries):
    reviewer = year_with_money["reviewer"]
    queryset = access.restrict(Award.objects.all(), reviewer, "funds")
    with django_assert_num_queries(1):  # the rule's subqueries run inside the one query of the rows
        assert list(queryset) == [year_with_money["award"]]
    from django.contrib.auth.models import AnonymousUser

    assert not access.restrict(Award.objects.all(), AnonymousUser(), "funds").exists()


def test_actions_for_names_the_refusal_of_each_action(year_with_money):
    award, reviewer, finance = year_with_money["award"], year_with_money["reviewer"], year_with_money["finance"]
    as_reviewer = access.actions_for(reviewer, award)
    assert "view" in as_reviewer and "set_amount" in as_reviewer and "disburse" not in as_reviewer
    assert "finance bureau" in as_reviewer.reason("disburse")
    as_finance = access.actions_for(finance, award)
    assert {"view", "set_amount", "disburse"} <= set(as_finance)
    outsider = make_user("door_outsider", role=roles.BUREAU_STAFF, bureaus=[Bureau.objects.get(short_name="市水务局")])
    assert not access.actions_for(outsider, award)
    with pytest.raises(access.NotYours):
        access.require(outsider, "disburse", award)
    with pytest.raises(access.Refused, match="finance bureau"):
        access.require(reviewer, "disburse", award)


def test_a_refused_action_on_a_page_comes_back_as_the_pages_message_with_nothing_written(year_with_money):
    award, reviewer = year_with_money["award"], year_with_money["reviewer"]
    url = reverse("reviews:funds_award", args=[award.pk])
    response = _client(reviewer).post(url, {"action": "disbursement", "amount": "1000", "paid_on": "2024-06-01",
                                             "reference": "穗财拨〔2024〕1号"}, HTTP_REFERER=f"http://testserver{url}")
    assert response.status_code == 302 and response["Location"] == f"http://testserver{url}"
    with translation.override("zh-hans"):
        expected = gettext("Only the finance bureau's staff enter disbursements.")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [expected]
    assert not Disbursement.objects.filter(award=award).exists()


def test_a_refusal_after_the_lock_is_the_pages_message_too(year_with_money):
    """Confirming an entry twice: the second is refused by the rule (confirmed already), as a message."""
    entry, reviewer = year_with_money["entry"], year_with_money["reviewer"]
    client = _client(reviewer)
    response = client.post(reverse("reviews:register_confirm", args=[entry.pk]))
    assert response.status_code == 302
    with translation.override("zh-hans"):
        expected = gettext("This entry is confirmed already.")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [expected]
    assert Award.objects.filter(higher_award=entry).count() == 1


def test_a_refusal_on_a_get_is_a_403_page_with_the_reason(rf, year_with_money):
    from incentives.middleware import AccessDoorMiddleware

    request = rf.get("/somewhere/")
    request.user = year_with_money["reviewer"]
    response = AccessDoorMiddleware(lambda r: None).process_exception(request, access.Refused("理由在此"))
    assert response.status_code == 403 and "理由在此" in response.content.decode()
    assert AccessDoorMiddleware(lambda r: None).process_exception(request, ValueError("x")) is None


def test_the_phase_table_is_what_the_rules_ask(year_with_money):
    cycle, reviewer = year_with_money["cycle"], year_with_money["reviewer"]
    for state, allowed in PHASE_CHANGES.items():
        cycle.state = state
        actions = access.actions_for(reviewer, cycle)
        for change in Change.values:
            assert (change in actions) == (change in allowed) == phase_allows(cycle, change), (state, change)
            if change not in allowed:
                assert actions.reason(change), (state, change)


def test_a_reviewer_of_no_programme_of_the_cycle_may_do_nothing_with_it(year_with_money):
    from organisation.models import Programme

    other = Programme.objects.create(code="door-other", name="另一督查激励", government="另一人民政府", level="city",
                                     general_office="另一办公厅", issuer_mark="另一办公厅文件", number_prefix="另办",
                                     addressees="各区", printing_office="另一办公厅秘书处")
    stranger = make_user("door_stranger", role=roles.REVIEWER)
    other.reviewers.add(stranger)
    assert not access.actions_for(stranger, year_with_money["cycle"])
    assert not access.actions_for(stranger, year_with_money["award"])
    assert not access.restrict(NominationList.objects.all(), stranger, "review").exists()


# --- what a reader checks with grep ------------------------------------------------------------------------------

STATE_LITERAL = re.compile(
    r"""\b(state|status)\s*(==|!=)\s*["']|\.(state|status)\s+in\b|\b(is_published|decisions_open)\b"""
    # A literal state name compared with anything but an import's kind ("notice" is also the notice import).
    r"""|(?<!kind )==\s*["'](open|review|notice|published|draft|submitted|returned|decided|pending|recorded|accepted)["']""")


def test_no_template_tests_a_state_it_shows_the_actions_the_door_returns():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for tag in re.findall(r"{%\s*(?:if|elif)\b[^%]*%}", line):
                if STATE_LITERAL.search(tag):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {tag}")
    assert not found, "Templates testing states themselves (ask the door for actions instead):\n" + "\n".join(found)


def test_no_scope_function_lives_outside_the_door():
    """Every read scoped to a person is asked of ``organisation/access.py`` and the rules of each app's
    ``access.py``: no ``*_scope`` function, no second ``programmes_of``, anywhere else."""
    pattern = re.compile(r"^\s*def\s+(\w*_scope|programmes_of|programme_ids_of|reaches|reviewer_programme_ids)\s*\(",
                         re.MULTILINE)
    found = []
    for app in ("incentives", "organisation", "security", "measures", "evaluation", "nominations", "reviews"):
        for path in sorted((ROOT / app).rglob("*.py")):
            if path.name == "access.py" or "migrations" in path.parts:
                continue
            for match in pattern.finditer(path.read_text(encoding="utf-8")):
                found.append(f"{path.relative_to(ROOT)}: {match.group(1)}")
    assert not found, "Scope functions outside the door:\n" + "\n".join(found)
