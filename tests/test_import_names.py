"""Bureaus however they are written, and responsibility clauses in every form."""

import pytest

from measures.importing.clauses import ClauseError, parse_clause
from measures.importing.names import BureauMatcher

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("written", ["市水务局", "水务局", "广州市水务局", " 市 水务局 ", "市水务局", "（市水务局）"])
def test_a_bureau_however_it_is_written(written, bureau):
    assert BureauMatcher().match(written) == bureau("市水务局")


def test_full_names_and_names_that_start_with_shi(bureau):
    matcher = BureauMatcher()
    assert matcher.match("广州市发展和改革委员会") == bureau("市发展改革委")
    assert matcher.match("市场监管局") == bureau("市市场监管局")  # 市市场监管局 without its prefix
    assert matcher.match("绩效办") == bureau("市绩效办")
    assert matcher.match("市场监管总局") is None


def test_unknown_bureau_suggests_the_closest_names():
    matcher = BureauMatcher()
    assert matcher.match("财政部") is None
    assert "市财政局" in matcher.suggestions("财政部")
    assert "市财政局" in matcher.unknown_message("财政部")


@pytest.mark.parametrize("clause, expected", [
    ("市水务局负责", [[("市水务局", "lead")]]),
    ("市水务局会市发展改革委负责", [[("市水务局", "lead"), ("市发展改革委", "co")]]),
    ("市人力资源社会保障局会市财政局负责", [[("市人力资源社会保障局", "lead"), ("市财政局", "co")]]),
    ("市住房城乡建设局会市发展改革委、财政局负责", [[("市住房城乡建设局", "lead"), ("市发展改革委", "co"), ("市财政局", "co")]]),
    ("市水务局、林业园林局按职责分别负责", [[("市水务局", "separate")], [("市林业园林局", "separate")]]),
    ("市发展改革委、国资委负责", [[("市发展改革委", "joint"), ("市国资委", "joint")]]),
    ("牵头单位：市水务局；配合单位：市发展改革委、市财政局", [[("市水务局", "lead"), ("市发展改革委", "co"), ("市财政局", "co")]]),
    ("（市水务局会同市财政局负责）", [[("市水务局", "lead"), ("市财政局", "co")]]),
    ("国家发展改革委会同有关部门负责", [[("国家发展改革委", "lead")]]),
    ("市水务局 、 林业园林局 按职责分别负责", [[("市水务局", "separate")], [("市林业园林局", "separate")]]),
    # A prefix written once is every later name's, whatever the level; a bare first name passes nothing on.
    ("省商务厅、发展改革委、财政厅负责", [[("省商务厅", "joint"), ("省发展改革委", "joint"), ("省财政厅", "joint")]]),
    ("区发展改革局会财政局负责", [[("区发展改革局", "lead"), ("区财政局", "co")]]),
    ("财政部、发展改革委负责", [[("财政部", "joint"), ("发展改革委", "joint")]]),
    ("省财政厅、市发展改革委、工信局负责", [[("省财政厅", "joint"), ("市发展改革委", "joint"), ("市工信局", "joint")]]),
    ("广东省财政厅、发展改革委负责", [[("广东省财政厅", "joint"), ("广东省发展改革委", "joint")]]),
    ("市市场监管局会市场监管局负责", [[("市市场监管局", "lead"), ("市市场监管局", "co")]]),
])
def test_clauses(clause, expected):
    assert parse_clause(clause).categories == expected


@pytest.mark.parametrize("clause", ["", "市水务局", "按职责分别负责"])
def test_unreadable_clauses(clause):
    with pytest.raises(ClauseError):
        parse_clause(clause)
