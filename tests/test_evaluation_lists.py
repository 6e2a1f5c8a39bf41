"""The list follows the ranking: the editor proposes the top units up to the limit in force, a departure needs its
reason, a unit out under a 否决项 is not proposed; the reviewer's page shows the criteria, the full ranking, the
departures and the recusals; a reviewer who declared a stake in a unit does not decide it. 王芳 (wangfang) is a
clerk of 市水务局 (measure 6's lead); 张伟 (zhangwei) and 刘洋 (liuyang) review."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from evaluation import services as evaluation_services
from incentives.errors import DomainError
from nominations import services as nomination_services
from organisation import access
from organisation.models import Programme, Unit
from reviews import services as review_services
from reviews.models import Decision

from .factories import (
    DISTRICT_VALUES,
    declare_nothing,
    entry,
    file_criteria,
    make_cycle,
    make_list,
    make_reviewer,
    open_cycle,
)

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _scored(clerk, category, year, values=DISTRICT_VALUES, rows=None):
    criteria = file_criteria(clerk, category, year, rows)
    declare_nothing(clerk, year)
    units = {u.name: u for u in Unit.objects.filter(programme__is_default=True, kind_id="district")}
    indicators = list(criteria.indicators.order_by("order"))
    evaluation_services.values_enter(actor=clerk, criteria=criteria, cells={
        (units[name], indicators[i]): figure for name, figures in values.items() for i, figure in enumerate(figures)})
    return criteria


def _units(*names):
    found = {u.name: u for u in Unit.objects.filter(programme__is_default=True, name__in=names)}
    return [found[name] for name in names]


# By DISTRICT_VALUES: 海珠区 first (95.00), 黄埔区 second (84.36), 天河区 third (80.11), 番禺区 fourth (69.17).
TOP3 = ["海珠区", "黄埔区", "天河区"]


def _editor_post(units, reasons=None, version=0):
    reasons = reasons or {}
    data = {"rows-TOTAL_FORMS": "3", "rows-INITIAL_FORMS": "0", "rows-MIN_NUM_FORMS": "3", "rows-MAX_NUM_FORMS": "3",
            "version": str(version), "action": "save", "nothing_reason": ""}
    for index in range(3):
        unit = units[index] if index < len(units) else None
        data.update({f"rows-{index}-unit": str(unit.pk) if unit else "", f"rows-{index}-unit_name": unit.name if unit else "",
                     f"rows-{index}-rank": str(index + 1), f"rows-{index}-achievements": "投资完成率居前",
                     f"rows-{index}-figures": "", f"rows-{index}-departure_reason": reasons.get(index, "")})
    return data


def test_the_editor_proposes_the_top_three_of_the_ranking(clerk_water, administrator, category):
    cycle = open_cycle(administrator, year=2090)
    _scored(clerk_water, category("6"), cycle.year)
    page = _client(clerk_water).get(reverse("nominations:edit", args=[cycle.year, category("6").pk])).content.decode()
    proposed = re.findall(r'name="rows-\d-unit_name"[^>]*value="([^"]*)"', page)
    assert proposed == TOP3 and 'id="ranking-summary"' in page


def test_a_departure_needs_its_reason_which_is_kept(clerk_water, administrator, category):
    cycle = open_cycle(administrator, year=2090)
    _scored(clerk_water, category("6"), cycle.year)
    nl = nomination_services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle, category=category("6"))
    units = _units("海珠区", "黄埔区", "番禺区")  # 番禺区 (4th) instead of 天河区 (3rd)
    with pytest.raises(DomainError) as refused:
        nomination_services.nomination_list_save(actor=clerk_water, nomination_list=nl, version=nl.version,
                                                 entries=[entry(u) for u in units])
    assert refused.value.field == "rows-2-departure_reason" and "天河区" in refused.value.message
    assert not nl.nominees.exists()
    entries = [entry(u) for u in units]
    entries[2].departure_reason = "天河区年内发生水务工程质量问题，正在整改"
    nomination_services.nomination_list_save(actor=clerk_water, nomination_list=nl, version=nl.version, entries=entries)
    third = nl.nominees.get(rank=3)
    assert third.departure_reason.startswith("天河区") and third.ranking_position == 4
    assert nl.nominees.get(rank=1).departure_reason == "" and nl.nominees.get(rank=1).ranking_position == 1


def test_the_editor_page_refuses_a_departure_without_reason_naming_the_rank(clerk_water, administrator, category):
    cycle = open_cycle(administrator, year=2090)
    _scored(clerk_water, category("6"), cycle.year)
    client = _client(clerk_water)
    url = reverse("nominations:edit", args=[cycle.year, category("6").pk])
    response = client.post(url, _editor_post(_units("天河区", "海珠区", "黄埔区")))
    page = response.content.decode()
    assert response.status_code == 400 and "第1位：按评选排名应为海珠区，而非天河区" in page
    response = client.post(url, _editor_post(_units("天河区", "海珠区", "黄埔区"),
                                             {0: "天河区示范效应更强", 1: "与天河区对调", 2: "顺延"}))
    assert response.status_code == 302


def test_a_unit_out_under_a_condition_cannot_be_proposed(clerk_water, administrator, category):
    from .factories import MEASURE6_INDICATORS, SAFETY_CONDITION

    cycle = open_cycle(administrator, year=2090)
    values = {name: (*figures, "否" if name == "海珠区" else "是") for name, figures in DISTRICT_VALUES.items()}
    _scored(clerk_water, category("6"), cycle.year, values, [*MEASURE6_INDICATORS, SAFETY_CONDITION])
    nl = nomination_services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle, category=category("6"))
    entries = [entry(u) for u in _units("海珠区")]
    entries[0].departure_reason = "成效突出"
    with pytest.raises(DomainError, match="无重大安全事故"):
        nomination_services.nomination_list_save(actor=clerk_water, nomination_list=nl, version=nl.version,
                                                 entries=entries)


def test_a_list_without_criteria_saves_as_before(clerk_water, administrator, category):
    cycle = open_cycle(administrator, year=2090)
    nl = nomination_services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle, category=category("6"))
    nomination_services.nomination_list_save(actor=clerk_water, nomination_list=nl, version=nl.version,
                                             entries=[entry(u) for u in _units("白云区")])
    assert nl.nominees.get().ranking_position is None


# --- the reviewer's side ---------------------------------------------------------------------------------------


@pytest.fixture
def reviewed(clerk_water, bureau, category):
    """A 2023 list of measure 6 under review (its deadline passed), proposing 海珠区, 黄埔区 and 番禺区 (a departure
    at rank 3, with its reason), behind scored criteria."""
    cycle = make_cycle(2023)
    _scored(clerk_water, category("6"), 2023)
    nl = make_list(cycle, category("6"), bureau("市水务局"), _units("海珠区", "黄埔区", "番禺区"), clerk=clerk_water)
    nl.nominees.filter(rank=3).update(departure_reason="天河区存在质量问题", ranking_position=4)
    nl.nominees.filter(rank=1).update(ranking_position=1)
    return nl


def test_the_reviewer_sees_the_criteria_ranking_departure_and_recusals(reviewer, reviewed):
    haizhu = _units("海珠区")[0]
    evaluation_services.declaration_make(
        actor=reviewer, programme_id=Programme.objects.default().pk, year=2023,
        stakes=[evaluation_services.StakeEntry(unit=haizhu, stake="relative", reason="配偶在海珠区任职")])
    page = _client(reviewer).get(reverse("reviews:list", args=[reviewed.pk])).content.decode()
    assert 'id="criteria"' in page and "市水务局年度投资统计" in page
    assert page.count("data-position=") == 11
    assert 'data-departure="番禺区"' in page and "天河区存在质量问题" in page
    assert "配偶在海珠区任职" in page and "data-recused" in page


def test_a_reviewer_who_declared_a_stake_cannot_decide_it_another_does(reviewer, reviewed):
    haizhu = _units("海珠区")[0]
    evaluation_services.declaration_make(
        actor=reviewer, programme_id=Programme.objects.default().pk, year=2023,
        stakes=[evaluation_services.StakeEntry(unit=haizhu, stake="worked", reason="2022年前在海珠区工作")])
    first = reviewed.nominees.get(rank=1)
    with pytest.raises(evaluation_services.Recused, match="海珠区"):
        review_services.nominee_decide(actor=reviewer, nominee=first, approved=True, comment="")
    assert not Decision.objects.exists()
    # through the page: the one form deciding them all is refused whole
    data = {}
    for nominee in reviewed.nominees.all():
        data[f"n{nominee.pk}-approved"] = "yes"
        data[f"n{nominee.pk}-comment"] = ""
    response = _client(reviewer).post(reverse("reviews:list_decide", args=[reviewed.pk]), data)
    page = response.content.decode()
    summary = page[page.index('id="error-summary"'):]
    assert response.status_code == 400 and "海珠区" in summary[:summary.index("</ul>")]
    assert not Decision.objects.exists()
    other = make_reviewer("liuyang", first_name="刘洋")
    review_services.nominee_decide(actor=other, nominee=first, approved=True, comment="")
    assert Decision.objects.get().decided_by == other


@pytest.mark.parametrize("extra", [0, 289])
def test_the_reviewers_list_page_costs_the_same_queries_with_11_and_300_units(reviewer, reviewed,
                                                                              django_assert_num_queries, extra):
    programme = Programme.objects.default()
    Unit.objects.bulk_create([Unit(programme=programme, kind_id="district", name=f"测试区{n:03d}",
                                   division_order=5000 + n) for n in range(extra)])
    client = _client(reviewer)
    url = reverse("reviews:list", args=[reviewed.pk])
    client.get(url)
    with django_assert_num_queries(19):
        response = client.get(url)
    assert response.content.decode().count("data-position=") == 11 + extra


# --- the public notice (公示): the criteria beside the proposed units; the figures only if the programme says so ----


def _on_notice(clerk, category, bureau):
    import datetime

    from django.utils import timezone

    from nominations.models import Cycle
    from reviews.models import Award

    today = timezone.localdate()
    cycle = make_cycle(2023, state=Cycle.State.NOTICE, notice_starts_on=today,
                       notice_ends_on=today + datetime.timedelta(days=7))
    _scored(clerk, category, 2023)
    nl = make_list(cycle, category, bureau, _units("海珠区"), clerk=clerk, state="decided")
    Award.objects.create(cycle=cycle, category=category, unit=nl.nominees.get().unit, nominee=nl.nominees.get(), slot=1)
    return cycle


def test_the_public_notice_shows_the_criteria_and_the_figures_only_when_the_programme_publishes_them(
        clerk_water, administrator, bureau, category):
    _on_notice(clerk_water, category("6"), bureau("市水务局"))
    url = reverse("results:notice", args=[2023])
    page = Client().get(url).content.decode()
    assert 'data-criteria="6"' in page and "投资完成率" in page and "市水务局年度投资统计" in page
    assert "data-position=" not in page and "天河区" not in page  # no other unit's figures
    evaluation_services.evaluation_settings_set(actor=administrator, programme_id=Programme.objects.default().pk,
                                                publish_figures=True)
    page = Client().get(url).content.decode()
    assert page.count("data-position=") == 11 and "天河区" in page and "王芳" not in page
    with pytest.raises(access.Refused):
        evaluation_services.evaluation_settings_set(actor=clerk_water, programme_id=Programme.objects.default().pk,
                                                    publish_figures=False)
