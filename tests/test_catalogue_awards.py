"""Every category of the 2022 notice: selection or entitlement, and its support, as the notice's words say.

One test per category (parametrised): its kind, its forms of support, the words of its support (a part of its
measure's text, containing the phrase that names what these awardees get, and none of what another class of
subject in the same measure gets), and its fixed amount where the notice fixes one."""

from decimal import Decimal

import pytest
from django.utils import translation

from measures.exports import catalogue_rows
from measures.models import MONEY_FORMS, CategoryKind, IncentiveCategory, PolicyDocument, SupportForm
from organisation.models import UnitKind

pytestmark = pytest.mark.django_db

S, E = CategoryKind.SELECTION, CategoryKind.ENTITLEMENT

# code → (kind, forms of support, a phrase of the support, a phrase the support must not contain)
EXPECTED = {
    "1": (S, ["commendation", "pilot_priority"], "优先推荐申报国家真抓实干成效明显地方", None),
    "2": (S, ["funding", "platform_building", "publicity"], "中国进出口商品交易会等重要展会开展宣传推介", None),
    "3": (S, ["funding"], "在申报中央预算内投资时予以重点支持", None),
    "4": (S, ["incentive_support"], "予以激励支持", None),
    "5": (S, ["funding"], "建设养护补助资金", None),
    "6": (S, ["commendation", "funding"], "在下一年度安排市级投资时予以倾斜支持", None),
    "7": (S, ["land_quota"], "新增建设用地指标", None),
    "8": (S, ["commendation", "funding"], "在分配上级激励资金时予以倾斜", None),
    "9": (E, ["matching_funds"], "符合条件的予以配套资金支持", None),
    "10": (S, ["commendation", "pilot_priority"], "试点示范工作中予以优先支持", None),
    "11": (S, ["pilot_priority"], "重大建设项目储备库", None),
    "12": (S, ["pilot_priority", "bonus_points", "funding"], "在市级质量工作考核中给予适当加分", None),
    "13": (S, ["funding", "graduate_employment"], "优先组织引导中高职院校优秀毕业生前往相关区就业创业", None),
    "14": (S, ["funding"], "就业扶持资金", None),
    "15": (S, ["funding"], "保障性安居工程", None),
    "16-1": (S, ["funding"], "有关补助资金时给予优先支持", None),
    "16-2": (S, ["funding"], "有关补助资金时给予优先支持", None),
    "17": (S, ["funding", "pilot_priority"], "福利彩票公益金", None),
    "18": (S, ["funding"], "在相关专项资金分配时予以重点支持", None),
    "19-1": (S, ["incentive_support"], "河湖长制工作考核办法", "林长制"),
    "19-2": (S, ["incentive_support"], "林长制工作考核办法", "河湖长制"),
    "20": (S, ["pilot_priority", "assessment_factor"], "并作为市乡村振兴实绩考核的重要衡量因素", None),
    "21": (S, ["pilot_priority", "funding"], "知识产权专项工作资金", None),
    "22": (S, ["commendation", "pilot_priority"], "国家产融合作试点城市", None),
    "23": (S, ["pilot_priority"], "国家级文化产业示范园区", None),
    "24": (S, ["pilot_priority", "funding", "bonus_points", "publicity"], "定期总结提炼可复制的经验做法予以推广", None),
    "25-1": (S, ["bonus_points"], "年度履约情况考核评价时予以加分", "年度考核中"),
    "25-2": (S, ["bonus_points"], "在年度考核中予以加分", "履约"),
    "26-1": (S, ["commendation"], "予以通报表扬", "优先推荐"),
    "26-2": (S, ["commendation", "pilot_priority"], "优先推荐政府部门等单位使用", None),
    "27": (S, ["pilot_priority", "publicity"], "网上年货节", None),
    "28": (S, ["commendation", "funding", "pilot_priority"], "全国未成年人保护示范区", None),
    "29": (S, ["pilot_priority", "commendation", "funding"], "通报表扬或经费支持", None),
    "30-1": (S, ["assessment_encouragement"], "在国企年度业绩考核中予以一定鼓励", "通报表扬"),
    "30-2": (S, ["commendation"], "予以通报表扬", "业绩考核"),
    "30-3": (S, ["commendation"], "予以通报表扬", "业绩考核"),
    "31": (S, ["funding"], "予以优先安排", None),
    "32-1": (E, ["bonus_points", "commendation"], "纳入机关绩效考核加分事项并予以通报表扬", "500万元"),
    "32-2": (E, ["matching_funds"], "每项安排500万元国务院督查激励配套资金", "加分"),
}


def test_every_category_of_the_notice_is_listed_here():
    codes = set(IncentiveCategory.objects.filter(measure__document__number="穗府办〔2022〕30号").values_list("code", flat=True))
    assert codes == set(EXPECTED)


@pytest.mark.parametrize("code", sorted(EXPECTED, key=lambda c: [int(p) for p in c.split("-")]))
def test_category_kind_and_support_match_the_notice(code):
    category = IncentiveCategory.objects.select_related("measure").get(code=code, measure__document__number="穗府办〔2022〕30号")
    kind, forms, phrase, foreign = EXPECTED[code]
    assert category.kind == kind
    assert category.support_forms == forms
    # The notice's own words: a part of the measure's text, naming what this category's awardees get.
    assert category.support_text and category.support_text in category.measure.text
    assert phrase in category.support_text
    if foreign:
        assert foreign not in category.support_text
    assert category.earned_by_higher_award == code.startswith("32-")
    assert category.award_amount == (Decimal("5000000.00") if code == "32-2" else None)
    assert category.carries_money == bool({"funding", "matching_funds"} & set(forms))


# Each kind of support, and the notice's words that give it: a category carries a form only where its own support
# says so, and every such phrase of its support is carried by a form.
FORM_WORDS = {
    "commendation": ["通报表扬"],
    "platform_building": ["平台建设"],
    "publicity": ["宣传推介", "予以推广", "促消费活动"],
    "graduate_employment": ["毕业生"],
    "assessment_factor": ["实绩考核的重要衡量因素"],
    "land_quota": ["建设用地指标"],
    "matching_funds": ["配套资金"],
}


def _categories():
    return IncentiveCategory.objects.select_related("measure").filter(measure__document__number="穗府办〔2022〕30号")


def test_every_form_of_support_is_named_by_the_notice_and_every_phrase_has_its_form():
    for category in _categories():
        for form, phrases in FORM_WORDS.items():
            said = any(phrase in category.support_text for phrase in phrases)
            assert said == (form in category.support_forms), (category.code, form)
    # 通报表扬 only under the measures that grant it.
    commended = {c.code for c in _categories() if "commendation" in c.support_forms}
    assert commended == {"1", "6", "8", "10", "22", "26-1", "26-2", "28", "29", "30-2", "30-3", "32-1"}


def test_only_money_is_pledged_whatever_else_the_support_gives():
    trade, schools, countryside = (_categories().get(code=code) for code in ("2", "13", "20"))
    assert trade.carries_money and schools.carries_money and not countryside.carries_money
    assert MONEY_FORMS == {SupportForm.FUNDING, SupportForm.MATCHING_FUNDS}
    assert {"platform_building", "publicity"} <= set(trade.support_forms) and "graduate_employment" in schools.support_forms


def test_the_corrected_descriptions_are_the_notices_words():
    categories = {c.code: c for c in _categories()}
    # 9: the national NDRC's 工程研究中心 and 企业技术中心, the provincial DRC's 工程研究中心 only.
    platform = categories["9"].description
    assert platform in categories["9"].measure.text
    assert "国家发展改革委批复建设的工程研究中心、企业技术中心" in platform
    assert "省发展改革委批复建设的工程研究中心等创新平台" in platform and "国家或省" not in platform
    assert platform.index("企业技术中心") < platform.index("省发展改革委")  # no provincial 企业技术中心
    # 25: the words the notice gives, which print as the bulletin's headings.
    assert categories["25-1"].description == "为广州市社会医疗保险参保人、参保单位和社会保险定点医药机构提供优质、创新服务的医保协议银行"
    assert categories["25-2"].description == "积极推进医保领域各项工作,为广州市社会医疗保险参保人提供优质、便捷服务的定点医疗机构"
    for code in ("25-1", "25-2", "26-1"):
        assert categories[code].description in categories[code].measure.text


def test_26_1_rewards_units_of_every_public_kind_not_only_lead_departments():
    rule_of_law = _categories().get(code="26-1")
    assert "如入选全国、全省法治政府建设示范地区和项目的单位" in rule_of_law.description
    assert "或在法治广州建设考评中成绩优秀的单位" in rule_of_law.description
    assert rule_of_law.kind_codes() == {UnitKind.DISTRICT, UnitKind.STREET, UnitKind.DISPATCHED_AGENCY,
                                        UnitKind.MUNICIPAL_DEPARTMENT, UnitKind.OTHER_UNIT}
    assert UnitKind.objects.get(pk=UnitKind.OTHER_UNIT).name == "其他单位"


def test_the_document_applies_from_2023():
    assert PolicyDocument.objects.get(number="穗府办〔2022〕30号").first_year == 2023


def test_the_catalogue_export_writes_forms_of_support_in_words_not_codes():
    document = PolicyDocument.objects.get(number="穗府办〔2022〕30号")
    with translation.override("zh-hans"):
        rows = list(catalogue_rows(document))
    header, trade = rows[0], next(row for row in rows[1:] if row[3] == "2")
    assert trade[header.index("类别支持方式")] == "资金倾斜支持、平台建设支持、宣传推介"
    with translation.override("en"):
        english = next(row for row in catalogue_rows(document) if row[3] == "2")
    assert english[header.index("类别支持方式")] == "Tilted funding、Support for building platforms、Publicity and promotion"
    codes = set(SupportForm.values)
    assert not any(part in codes for row in rows[1:] for cell in row for part in cell.split("、"))


def test_no_cycle_under_the_document_assesses_a_year_before_its_first(administrator):
    from incentives.errors import DomainError
    from nominations.services import cycle_open

    # 从2023年起, each year for the year before: the first cycle assesses 2022.
    with pytest.raises(DomainError, match="applies from 2023: its first cycle assesses 2022, not 2021"):
        cycle_open(actor=administrator, year=2021)
    with pytest.raises(DomainError, match="not 2000"):
        cycle_open(actor=administrator, year=2000)
    import datetime

    from nominations.models import BEIJING

    opened = cycle_open(actor=administrator, year=2022, opens_at=datetime.datetime(2023, 1, 4, tzinfo=BEIJING))
    assert opened.document.number == "穗府办〔2022〕30号"


def test_the_correction_migration_keeps_what_published_years_published(bureau):
    """measures.0005 on a database loaded before the correction: the catalogue takes the notice's words; a year
    published before keeps its awards as they were published, even one published without its frozen values."""
    import importlib

    from django.apps import apps
    from django.utils import timezone

    from nominations.models import Cycle
    from organisation.models import Unit
    from reviews.models import Award

    from .factories import make_cycle, make_list

    correction = importlib.import_module("measures.migrations.0005_catalogue_to_the_letter")
    categories = {c.code: c for c in _categories()}
    for code, words in correction.OLD_DESCRIPTIONS.items():
        IncentiveCategory.objects.filter(pk=categories[code].pk).update(description=words)
    IncentiveCategory.objects.filter(pk=categories["2"].pk).update(support_forms=["funding"])
    categories["26-1"].subject_kinds.remove(UnitKind.OTHER_UNIT, UnitKind.DISPATCHED_AGENCY)
    PolicyDocument.objects.filter(number="穗府办〔2022〕30号").update(first_year=None)
    UnitKind.objects.filter(pk=UnitKind.OTHER_UNIT).delete()
    published = make_cycle(2022, state=Cycle.State.PUBLISHED, published_at=timezone.now())
    tianhe = Unit.objects.get(name="天河区")
    platforms = make_list(published, categories["9"], bureau("市发展改革委"), [tianhe], state="decided")
    trades = make_list(published, categories["2"], bureau("市商务局"), [tianhe], state="decided")
    frozen = Award.objects.create(cycle=published, category=categories["9"], unit=tianhe, is_entitlement=True,
                                  nominee=platforms.nominees.get())
    trade = Award.objects.create(cycle=published, category=categories["2"], unit=tianhe, slot=1,
                                 nominee=trades.nominees.get())

    correction.correct(apps, None)

    categories = {c.code: c for c in _categories()}
    assert categories["9"].description == correction.DESCRIPTIONS["9"]
    assert categories["2"].support_forms == ["funding", "platform_building", "publicity"]
    assert UnitKind.OTHER_UNIT in categories["26-1"].kind_codes()
    assert PolicyDocument.objects.get(number="穗府办〔2022〕30号").first_year == 2023
    frozen.refresh_from_db()
    trade.refresh_from_db()
    assert frozen.shown_category_description == correction.OLD_DESCRIPTIONS["9"]
    assert trade.shown_support_forms == ["funding"] and trade.shown_unit_name == tianhe.display_name
