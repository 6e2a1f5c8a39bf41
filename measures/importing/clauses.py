"""Find a measure's responsibility clause and read it into bureaus and roles.

=================================================  =========================================================
clause                                             categories → [(bureau as written, role)]
=================================================  =========================================================
``市X负责`` / ``由市X负责`` / ``市X牵头``            one: X lead
``市X会市Y负责`` / ``市X会同市Y、Z负责``            one: X lead, Y and Z co-responsible
``市X、Y负责`` / ``市X、Y共同负责``                 one: X and Y jointly responsible
``市X、Y按职责分别负责``                            one category per bureau, each separately responsible
``牵头单位：X；配合单位：Y、Z`` (also 牵头部门,      one: X lead (several leads: joint), Y and Z co-responsible
``责任单位``, ``配合部门``, ``协办单位`` …)
``X牵头，Y配合`` / ``X负责，Y配合`` / ``X牵头，Y参与``  the same
=================================================  =========================================================

Generic phrases (有关部门, 省直有关部门, 各有关单位, ``…等部门``) name no bureau: they stay in the clause's text and
are listed in ``ParsedClause.generic``, never as bureaus. ``省统计局及省直有关部门`` is 省统计局 and a generic phrase.
Traditional characters are converted first. Names are returned as written (cleaned of spaces and full-width
forms); ``BureauMatcher`` resolves them.

``find_clause`` locates the clause in a measure's text: the last parenthesised group that reads as a clause
(``（…负责）``, ``（牵头单位：…）``, ``（X牵头，Y配合）``), an unparenthesised labelled clause (``责任单位：…``) or a last
sentence ending in 负责; whatever follows the clause inside or after the parentheses is a remark
(``…负责，该激励措施暂定实施1年``), kept in the measure's text but not read as a bureau.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .simplified import to_simplified

LEAD, CO, SEPARATE, JOINT = "lead", "co", "separate", "joint"

# The last character of a bureau's name: where 会 (jointly with) can follow. 社 in 人力资源社会保障局 is not one.
_BUREAU_ENDINGS = "局委办厅部署院室处会队团联行所心"
# Where a name in a list may end (wider: for telling a list of names from a remark).
_NAME_ENDINGS = _BUREAU_ENDINGS + "府社司区网站校馆台门位构关"
LEAD_LABELS = ("牵头单位", "牵头部门", "责任单位", "责任部门", "主责单位", "主责部门", "负责单位", "负责部门", "主办单位",
               "实施单位", "牵头")
CO_LABELS = ("配合单位", "配合部门", "协办单位", "协办部门", "参与单位", "参与部门", "协同单位", "协助单位", "配合")
_LABEL = re.compile("(?P<label>" + "|".join(LEAD_LABELS[:-1] + CO_LABELS[:-1]) + ")[:：]")
_KEYWORDS = re.compile(r"负责|牵头|配合|参与|协办|责任单位|责任部门")
_GROUP = re.compile(r"[(（](?P<body>[^()（）]*)[)）]")
_CLAUSE_VERB_END = re.compile(r"(?:牵头负责|具体负责|共同负责|分工负责|分别负责|负责实施|负责|牵头|配合|参与|协办|协助)$")
_GENERIC = re.compile(r"^(?:各|有关|相关|其他|其它)|(?:有关|相关|其他|其它|直属|各)(?:部门|单位|方面|机构)$|等(?:部门|单位|机构)$")
_CONNECTOR = re.compile(r"(?<=[" + _NAME_ENDINGS + r"])(?:及|和|与|以及)(?=省|市|区|县|国家|国务院|中央|各|有关|相关|其他|团)")
_PUNCTUATION = "()（）。.;；,，:：、 "


@dataclass
class ParsedClause:
    clause: str  # as it will be stored: NFKC-normalised, without parentheses
    categories: list[list[tuple[str, str]]]
    generic: list[str] = field(default_factory=list)  # phrases that name no bureau (有关部门 …)

    @property
    def names(self) -> list[str]:
        seen: list[str] = []
        for category in self.categories:
            for name, _role in category:
                if name not in seen:
                    seen.append(name)
        return seen


class ClauseError(ValueError):
    """The clause cannot be read; ``reason`` is one of "empty", "no_bureau", "unreadable"."""

    def __init__(self, reason: str, generic: list[str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.generic = generic or []


@dataclass(frozen=True)
class Located:
    clause: str  # as written, without its parentheses
    remark: str  # what follows the clause ("该激励措施暂定实施1年"), or ""
    start: int  # where the clause (its opening parenthesis, if any) starts in the text


def is_generic(name: str) -> bool:
    return bool(_GENERIC.search(name))


def _looks_like_names(piece: str) -> bool:
    """A list of names (A、B及省直有关部门): every item ends like a bureau's name and is short."""
    items = [item for item in re.split(r"[、/]|及|和|与", piece) if item]
    return bool(items) and all(len(item) <= 24 and (item[-1] in _NAME_ENDINGS or is_generic(item)) for item in items)


def _clause_and_remark(body: str) -> tuple[str, str] | None:
    """Split a candidate (a parenthesised group's content, or a trailing sentence) into clause and remark, both
    as written; None when it does not read as a clause at all."""
    original = to_simplified(body).strip()
    text = unicodedata.normalize("NFKC", original)
    if len(text) != len(original):
        original = text
    if not _KEYWORDS.search(text):
        return None
    bounds = [0] + [m.end() for m in re.finditer(r"[,;。]", text)] + [len(text)]
    pieces = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip(_PUNCTUATION)]
    taken_end = None
    for a, b in pieces:
        core = text[a:b].strip().rstrip(",;。").strip()
        label = _LABEL.search(core)
        if label or _CLAUSE_VERB_END.search(core) or (taken_end is not None and _looks_like_names(core)):
            if taken_end is None and label and label.start() > 0 and not _looks_like_names(core[: label.start()]):
                return None  # "…，责任单位：" in the middle of prose
            taken_end = b
            continue
        break
    if taken_end is None:
        return None
    clause = original[:taken_end].strip().rstrip(",;。，；").strip()
    check = text[:taken_end].strip().rstrip(",;。").strip()
    if not (_LABEL.search(check) or _CLAUSE_VERB_END.search(check)):
        return None
    return clause, original[taken_end:].strip(" ,;。，；")


def find_clause(text: str) -> Located | None:
    """Where a measure's responsibility clause is, or None when it has none."""
    stripped = text.rstrip()
    # 1. An unparenthesised labelled clause at the end: "…予以倾斜。牵头单位：省发展改革委；配合单位：省财政厅。"
    outside = unicodedata.normalize("NFKC", _GROUP.sub(lambda m: "\x00" * len(m.group(0)), stripped))
    labels = [m for m in _LABEL.finditer(outside) if m.group("label") in LEAD_LABELS] if len(outside) == len(stripped) else []
    if labels:
        start = labels[0].start()
        found = _clause_and_remark(stripped[start:])
        if found and len(found[1]) <= 80:
            return Located(found[0], found[1], start)
    # 2. The last parenthesised group that reads as a clause, with at most a short remark after it.
    for match in reversed(list(_GROUP.finditer(stripped))):
        tail = stripped[match.end():].strip(" 。.;；")
        if len(tail) > 80:
            break
        found = _clause_and_remark(match.group("body"))
        if found:
            remark = "，".join(part for part in (found[1], tail) if part)
            return Located(found[0], remark, match.start())
    # 3. A last sentence that is a clause: "…予以倾斜。省财政厅负责。"
    sentences = [s for s in re.split(r"(?<=[。;；])", stripped) if s.strip(" 。;；")]
    if len(sentences) > 1:
        last = sentences[-1].strip()
        found = _clause_and_remark(last)
        if found and len(found[0]) <= 60 and not found[0].startswith("对") and len(found[1]) <= 80:
            return Located(found[0], found[1], stripped.rfind(last))
    return None


def clause_at_end(text: str) -> str:
    """The clause of a measure's text (without parentheses or remark), or ""."""
    located = find_clause(text)
    return located.clause if located else ""


def normalise_clause(clause: str) -> str:
    text = unicodedata.normalize("NFKC", to_simplified(clause or ""))
    text = re.sub(r"\s+", "", text)
    return text.strip("()（）。.;,")


def split_names(text: str) -> tuple[list[str], list[str]]:
    """(bureau names, generic phrases) of a list such as ``省财政厅、省统计局及省直有关部门``."""
    names, generic = [], []
    text = _CONNECTOR.sub("、", text)
    for part in re.split(r"[、,，/;；]", text):
        name = part.strip(_PUNCTUATION).removeprefix("由")
        for suffix in ("等部门", "等单位", "等机构"):
            if name.endswith(suffix) and len(name) > len(suffix):
                generic.append(suffix)
                name = name[: -len(suffix)]
        name = name.removesuffix("等")
        if not name:
            continue
        if is_generic(name):
            generic.append(name)
        elif name not in names:
            names.append(name)
    return names, generic


def _split_joint_lead(body: str) -> tuple[str, str] | None:
    """Split ``市X会(同)市Y…`` at the 会 that follows a bureau's name."""
    for match in re.finditer("会同?", body):
        start = match.start()
        if start > 0 and body[start - 1] in _BUREAU_ENDINGS and match.end() < len(body):
            return body[:start], body[match.end():]
    return None


def _labelled(text: str) -> tuple[list[str], list[str], list[str]] | None:
    matches = list(_LABEL.finditer(text))
    if not matches or text[: matches[0].start()].strip(_PUNCTUATION):
        return None
    leads, cos, generic = [], [], []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        segment = text[match.end():end].strip(_PUNCTUATION)
        segment = re.sub(r"(?:负责|牵头|配合)$", "", segment)
        names, phrases = split_names(segment)
        generic += phrases
        (leads if match.group("label") in LEAD_LABELS else cos).extend(n for n in names if n not in leads + cos)
    return leads, cos, generic


def parse_clause(clause: str) -> ParsedClause:
    """The clause's categories of (name, role), each name with the government its clause writes for it
    (``carry_prefixes``)."""
    parsed = _parse_clause(clause)
    parsed.categories = carry_prefixes(parsed.categories)
    return parsed


def _parse_clause(clause: str) -> ParsedClause:
    text = normalise_clause(clause)
    if not text:
        raise ClauseError("empty")
    labelled = _labelled(text)
    if labelled is not None:
        leads, cos, generic = labelled
        return ParsedClause(text, [_lead_and_co(leads, cos, generic)], generic)
    informal = re.match(r"^(?P<lead>.+?)(?:牵头负责|牵头|负责)[,;、]?(?P<co>.+?)(?:配合|参与|协办|协助)(?:负责|实施)?$", text)
    if informal and not informal.group("lead").endswith("按职责"):
        leads, generic = split_names(informal.group("lead"))
        cos, more = split_names(informal.group("co"))
        return ParsedClause(text, [_lead_and_co(leads, cos, generic + more)], generic + more)
    body = re.sub(r"(?:牵头负责|牵头|负责实施|负责)$", "", text)
    if body == text:
        raise ClauseError("unreadable")
    if body.endswith(("按职责分别", "分别")):
        names, generic = split_names(body.removesuffix("按职责分别").removesuffix("分别"))
        if not names:
            raise ClauseError("no_bureau", generic)
        return ParsedClause(text, [[(name, SEPARATE)] for name in names], generic)
    body = re.sub(r"(?:按职责分工|按职责|共同|具体)$", "", body)
    split = _split_joint_lead(body)
    if split:
        leads, generic = split_names(split[0])
        cos, more = split_names(split[1])
        return ParsedClause(text, [_lead_and_co(leads, cos, generic + more)], generic + more)
    names, generic = split_names(body)
    if not names:
        raise ClauseError("no_bureau", generic)
    if len(names) == 1:
        return ParsedClause(text, [[(names[0], LEAD)]], generic)
    return ParsedClause(text, [[(name, JOINT) for name in names]], generic)


# What names a government of its own before a bureau's name: a place (广东省, 深圳市), the central level, or a level
# prefix. 市场监管局 starts with 市 but is a name (市场), not 市 + 场监管局; 区域 likewise.
_OWN_PLACE = re.compile(r"^[\u4e00-\u9fff]{2,8}?(?:自治区|省|市|区|县)(?=[\u4e00-\u9fff]{2})")
_CENTRAL = ("国家", "国务院", "中央", "全国")
_NOT_A_PREFIX = ("市场", "区域", "省级", "市级", "区级", "县级")


def government_of(name: str) -> str | None:
    """The government a name is written with: its place (广东省, 深圳市) or level prefix (省, 市, 区, 县); "" for a
    central body (国家…, 国务院…), which passes nothing on; None when the name is written bare (发展改革委)."""
    if name.startswith(_CENTRAL):
        return ""
    if name[:1] in "省市区县" and not name.startswith(_NOT_A_PREFIX) and len(name) > 2:
        return name[:1]
    place = _OWN_PLACE.match(name)
    if place and not name.startswith(_NOT_A_PREFIX):
        return place.group(0)
    return None


def carry_prefixes(categories: list[list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """A prefix written once before a list of names is the government of every name that follows it in the clause:
    ``省商务厅、发展改革委、财政厅`` is 省商务厅, 省发展改革委 and 省财政厅; ``市住房城乡建设局会市发展改革委、财政局``
    gives 市财政局. A name with its own (``省财政厅、市发展改革委``) keeps it and passes it on; a clause whose first name
    is bare (``财政部、发展改革委``) carries nothing."""
    carried: str | None = None
    result = []
    for category in categories:
        names = []
        for name, role in category:
            own = government_of(name)
            if own is None and carried:
                name = carried + name
            elif own is not None:
                carried = own
            names.append((name, role))
        result.append(names)
    return result


def _lead_and_co(leads: list[str], cos: list[str], generic: list[str]) -> list[tuple[str, str]]:
    if not leads:
        raise ClauseError("no_bureau", generic)
    lead_role = LEAD if len(leads) == 1 else JOINT
    category = [(name, lead_role) for name in leads]
    category += [(name, CO) for name in cos if name not in leads]
    return category
