"""The catalogue of 穗府办〔2022〕30号 corrected against the notice's words (as ``fixtures/catalogue_2022.json`` now
reads), on a database loaded before the correction:

* 26-1 rewards "单位" (示范地区和项目的单位, 考评中成绩优秀的单位): every kind of public unit, with the kind 其他单位;
* 9's description names the national NDRC's 工程研究中心 and 企业技术中心 and the provincial DRC's 工程研究中心 only;
* 25-1's and 25-2's descriptions keep the notice's words (广州市社会医疗保险参保人 …);
* the forms of support of 2, 13, 20, 24 and 27 name every kind of support their measure gives;
* the document's first year: 从2023年起.

Published years keep what they published: every award of a published cycle is frozen first (its titles, its
support and its unit's name as they read before this correction; the publication service froze them already, so
this only covers a year published without them), and their kept public bodies (``reviews.KeptBody``) are not
touched. Only rows that still read as the fixture loaded them are corrected: an administrator's own edit stays.
Reversed, nothing changes (the corrected words are the notice's)."""

from django.db import migrations

NUMBER = "穗府办〔2022〕30号"

OLD_DESCRIPTIONS = {
    "9": "获得国家或省发展改革委批复建设的工程研究中心、企业技术中心等创新平台",
    "25-1": "为参保人、参保单位和定点医药机构提供优质、创新服务的医保协议银行",
    "25-2": "积极推进医保领域各项工作、提供优质便捷服务的定点医疗机构",
    "26-1": "推进依法行政、建设法治政府工作成效显著的单位",
}
DESCRIPTIONS = {
    "9": "获得国家发展改革委批复建设的工程研究中心、企业技术中心,以及省发展改革委批复建设的工程研究中心等创新平台",
    "25-1": "为广州市社会医疗保险参保人、参保单位和社会保险定点医药机构提供优质、创新服务的医保协议银行",
    "25-2": "积极推进医保领域各项工作,为广州市社会医疗保险参保人提供优质、便捷服务的定点医疗机构",
    "26-1": "推进依法行政、建设法治政府工作成效显著的单位,如入选全国、全省法治政府建设示范地区和项目的单位,"
            "或在法治广州建设考评中成绩优秀的单位",
}
# measure number → (forms as loaded, forms as the notice gives them); measure and its one category alike.
SUPPORT_FORMS = {
    2: (["funding"], ["funding", "platform_building", "publicity"]),
    13: (["funding"], ["funding", "graduate_employment"]),
    20: (["pilot_priority"], ["pilot_priority", "assessment_factor"]),
    24: (["pilot_priority", "funding", "bonus_points"], ["pilot_priority", "funding", "bonus_points", "publicity"]),
    27: (["pilot_priority"], ["pilot_priority", "publicity"]),
}
RULE_OF_LAW_KINDS = ["district", "street", "dispatched_agency", "municipal_department", "unit"]


def freeze_published(apps):
    """What ``reviews.services.publication._freeze_awards`` keeps, for any award of a published year without it."""
    Award = apps.get_model("reviews", "Award")
    for award in (Award.objects.filter(cycle__state="published", published_unit_name="")
                  .select_related("category__measure", "unit")):
        category, measure, unit = award.category, award.category.measure, award.unit
        award.published_measure_number, award.published_measure_title = measure.number, measure.title
        award.published_category_name = category.name
        award.published_category_description = category.description
        award.published_support_forms = list(category.support_forms or measure.support_forms)
        award.published_support_text = category.support_text
        award.published_unit_name = unit.full_name or unit.name
        award.published_division_order = unit.division_order
        award.save()


def correct(apps, schema_editor):
    PolicyDocument = apps.get_model("measures", "PolicyDocument")
    Measure = apps.get_model("measures", "Measure")
    IncentiveCategory = apps.get_model("measures", "IncentiveCategory")
    UnitKind = apps.get_model("organisation", "UnitKind")
    documents = list(PolicyDocument.objects.filter(number=NUMBER))
    if not documents:
        return  # a new database: the fixture loads the corrected catalogue
    freeze_published(apps)
    UnitKind.objects.get_or_create(pk="unit", defaults={"name": "其他单位", "order": 12})
    for document in documents:
        if document.first_year is None:
            document.first_year = 2023
            document.save(update_fields=["first_year"])
        categories = {c.code: c for c in IncentiveCategory.objects.filter(measure__document=document)}
        for code, words in DESCRIPTIONS.items():
            category = categories.get(code)
            if category is not None and category.description == OLD_DESCRIPTIONS[code]:
                category.description = words
                category.save(update_fields=["description"])
        rule_of_law = categories.get("26-1")
        if rule_of_law is not None:
            kinds = list(UnitKind.objects.filter(pk__in=RULE_OF_LAW_KINDS))
            rule_of_law.subject_kinds.add(*kinds)
            measure = rule_of_law.measure
            measure.subject_kinds.add(*kinds)
        for measure in Measure.objects.filter(document=document, number__in=SUPPORT_FORMS):
            before, after = SUPPORT_FORMS[measure.number]
            if list(measure.support_forms) == before:
                measure.support_forms = after
                measure.save(update_fields=["support_forms"])
            for category in IncentiveCategory.objects.filter(measure=measure):
                if list(category.support_forms) == before:
                    category.support_forms = after
                    category.save(update_fields=["support_forms"])


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0004_document_first_year"),
        ("organisation", "0009_unit_order"),
        ("reviews", "0006_objection_personal_data_encrypted"),
    ]

    operations = [migrations.RunPython(correct, migrations.RunPython.noop)]
