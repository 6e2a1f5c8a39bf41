"""Every category of the 2022 notice: selection or entitlement, and its support, as the notice's words say.

One test per category (parametrised): its kind, its forms of support, the words of its support (a part of its
measure's text, containing the phrase that names what these awardees get, and none of what another class of
subject in the same measure gets), and its fixed amount where the notice fixes one."""

from decimal import Decimal

import pytest

from measures.models import CategoryKind, IncentiveCategory

pytestmark = pytest.mark.django_db

S, E = CategoryKind.SELECTION, CategoryKind.ENTITLEMENT

# code → (kind, forms of support, a phrase of the support, a phrase the support must not contain)
EXPECTED = {
    "1": (S, ["commendation", "pilot_priority"], "优先推荐申报国家真抓实干成效明显地方", None),
    "2": (S, ["funding"], "专项资金", None),
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
    "13": (S, ["funding"], "中职学校专业和内涵建设", None),
    "14": (S, ["funding"], "就业扶持资金", None),
    "15": (S, ["funding"], "保障性安居工程", None),
    "16-1": (S, ["funding"], "有关补助资金时给予优先支持", None),
    "16-2": (S, ["funding"], "有关补助资金时给予优先支持", None),
    "17": (S, ["funding", "pilot_priority"], "福利彩票公益金", None),
    "18": (S, ["funding"], "在相关专项资金分配时予以重点支持", None),
    "19-1": (S, ["incentive_support"], "河湖长制工作考核办法", "林长制"),
    "19-2": (S, ["incentive_support"], "林长制工作考核办法", "河湖长制"),
    "20": (S, ["pilot_priority"], "国家乡村振兴示范县", None),
    "21": (S, ["pilot_priority", "funding"], "知识产权专项工作资金", None),
    "22": (S, ["commendation", "pilot_priority"], "国家产融合作试点城市", None),
    "23": (S, ["pilot_priority"], "国家级文化产业示范园区", None),
    "24": (S, ["pilot_priority", "funding", "bonus_points"], "在进行能耗“双控”考核时予以加分", None),
    "25-1": (S, ["bonus_points"], "年度履约情况考核评价时予以加分", "年度考核中"),
    "25-2": (S, ["bonus_points"], "在年度考核中予以加分", "履约"),
    "26-1": (S, ["commendation"], "予以通报表扬", "优先推荐"),
    "26-2": (S, ["commendation", "pilot_priority"], "优先推荐政府部门等单位使用", None),
    "27": (S, ["pilot_priority"], "网上年货节", None),
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
