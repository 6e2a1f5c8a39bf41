"""The notices and catalogue states the import tests share (not a test module): the provincial notice in every
layout with what each measure must become, the State Council's notice of 2018, and a snapshot of the catalogue."""

import csv
from pathlib import Path

from measures.models import IncentiveCategory, Measure, Responsibility, chinese_numeral
from organisation.models import Bureau

DATA = Path(__file__).resolve().parent / "data"


def catalogue_state():
    return (
        list(Measure.objects.order_by("pk").values_list("pk", "number", "title", "text", "responsibility_clause")),
        list(IncentiveCategory.objects.order_by("pk").values_list("pk", "code", "name", "cap")),
        list(Responsibility.objects.order_by("pk").values_list("category_id", "bureau_id", "role", "order")),
    )


PROVINCIAL = (DATA / "provincial_layouts.txt").read_text(encoding="utf-8")


PROVINCIAL_BUREAUS = ["省政府办公厅", "省发展改革委", "省统计局", "省财政厅", "省税务局", "省科技厅", "省工业和信息化厅",
                      "省商务厅", "省自然资源厅", "省水利厅", "省林业局"]


# Each measure of tests/data/provincial_layouts.txt: its categories' (bureau, role) and its kinds of units.
PROVINCIAL_EXPECTED = {
    1: ([[("省政府办公厅", "joint"), ("省发展改革委", "joint"), ("省统计局", "co")]], ["prefecture"]),
    2: ([[("省财政厅", "lead"), ("省税务局", "co")]], ["county"]),
    3: ([[("省科技厅", "lead")]], ["development_zone"]),
    4: ([[("省工业和信息化厅", "lead"), ("省财政厅", "co")]], ["park"]),
    5: ([[("省商务厅", "lead")]], ["prefecture"]),
    6: ([[("省发展改革委", "lead")]], ["county"]),
    7: ([[("省自然资源厅", "lead"), ("省财政厅", "co")]], ["county"]),
    8: ([[("省水利厅", "separate")], [("省林业局", "separate")]], ["street"]),
}


def bureaus(names) -> list[Bureau]:
    return [Bureau.objects.get_or_create(short_name=name, defaults={"full_name": name, "order": 500 + i})[0]
            for i, name in enumerate(names)]


def measure_roles(measure) -> list[list[tuple[str, str]]]:
    return [[(r.bureau.short_name, r.role) for r in category.responsibilities.order_by("order")]
            for category in measure.categories.order_by("order")]


def plan_roles(spec) -> list[list[tuple[str, str]]]:
    return [[(bureau.short_name, role) for _name, bureau, role in category.responsibilities] for category in spec.categories]


def state_council_rows():
    with open(DATA / "state_council_2018_measures.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def state_council_notice() -> str:
    """国办发〔2018〕117号 as the notice prints it: 一、对…，….（X负责）"""
    return "\n\n".join(f"  {chinese_numeral(int(r['number']))}、{r['title_or_summary']}，{r['incentive_content']}。"
                       f"（{r['responsible_department']}负责）" for r in state_council_rows())


def expected_state_council_roles(department: str) -> list[tuple[str, str]]:
    """The departments as the notice names them: one leads; several are joint; 会同有关部门 names no bureau."""
    names = department.removesuffix("会同有关部门").split("、")
    return [(names[0], "lead")] if len(names) == 1 else [(name, "joint") for name in names]


def check_provincial(plan):
    assert plan.is_valid, plan.all_errors
    assert [spec.number for spec in plan.measures] == list(PROVINCIAL_EXPECTED)
    for spec in plan.measures:
        categories, kinds = PROVINCIAL_EXPECTED[spec.number]
        assert plan_roles(spec) == categories, spec.number
        assert spec.categories[0].subject_kinds == kinds, spec.number
