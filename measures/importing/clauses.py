"""Read a responsibility clause into bureaus and roles, the way the catalogue of the 2022 notice does.

=============================================  =========================================================
clause                                         categories → [(bureau as written, role)]
=============================================  =========================================================
``市X负责``                                     one: X lead
``市X会市Y负责`` / ``市X会同市Y、Z负责``        one: X lead, Y and Z co-responsible
``市X、Y负责``                                  one: X and Y jointly responsible
``市X、Y按职责分别负责``                        one category per bureau, each separately responsible
``牵头单位：市X；配合单位：市Y、市Z``           one: X lead (several leads: joint), Y and Z co-responsible
``市X牵头，市Y配合``                            the same
=============================================  =========================================================

Names are returned as written (cleaned of spaces and full-width forms); ``BureauMatcher`` resolves them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

LEAD, CO, SEPARATE, JOINT = "lead", "co", "separate", "joint"

# The last character of a bureau's name: where 会 (jointly with) can follow. 社 in 人力资源社会保障局 is not one.
_BUREAU_ENDINGS = "局委办厅部署院室处会队团联行所心"
_LIST_SEPARATORS = re.compile(r"[、,，/]|及(?=市)|和(?=市)")
_CLAUSE_AT_END = re.compile(r"[(（]([^()（）]*?负责)[)）][。.]?\s*$")


@dataclass
class ParsedClause:
    clause: str  # as it will be stored: NFKC-normalised, without parentheses
    categories: list[list[tuple[str, str]]]

    @property
    def names(self) -> list[str]:
        seen: list[str] = []
        for category in self.categories:
            for name, _role in category:
                if name not in seen:
                    seen.append(name)
        return seen


class ClauseError(ValueError):
    pass


def clause_at_end(text: str) -> str:
    """The clause in parentheses at the end of a measure's text (without the parentheses), or ""."""
    match = _CLAUSE_AT_END.search(text.strip())
    return match.group(1).strip() if match else ""


def _normalise(clause: str) -> str:
    text = unicodedata.normalize("NFKC", clause or "")
    text = re.sub(r"\s+", "", text)
    return text.strip("()（）。.")


# "with the relevant departments": not a bureau, so not a responsibility (the clause keeps the words).
GENERIC_NAMES = {"有关部门", "相关部门", "有关单位", "相关单位", "各有关部门", "有关方面"}


def _names(text: str) -> list[str]:
    return [name for name in (part.strip() for part in _LIST_SEPARATORS.split(text)) if name and name not in GENERIC_NAMES]


def _split_joint_lead(body: str) -> tuple[str, str] | None:
    """Split ``市X会(同)市Y…`` at the 会 that follows a bureau's name."""
    for match in re.finditer("会同?", body):
        start = match.start()
        if start > 0 and body[start - 1] in _BUREAU_ENDINGS and match.end() < len(body):
            return body[:start], body[match.end():]
    return None


def parse_clause(clause: str) -> ParsedClause:
    text = _normalise(clause)
    if not text:
        raise ClauseError("empty")
    labelled = re.match(r"^牵头(?:单位|部门)[:]?(?P<lead>[^;]+?)(?:;?配合(?:单位|部门)[:]?(?P<co>.+))?$", text)
    if labelled:
        leads = _names(labelled.group("lead").removesuffix("负责"))
        cos = _names((labelled.group("co") or "").removesuffix("负责"))
        return ParsedClause(text, [_lead_and_co(leads, cos)])
    informal = re.match(r"^(?P<lead>.+?)牵头[,;]?(?P<co>.+?)配合(?:负责)?$", text)
    if informal:
        return ParsedClause(text, [_lead_and_co(_names(informal.group("lead")), _names(informal.group("co")))])
    if not text.endswith("负责"):
        raise ClauseError("no 负责")
    body = text.removesuffix("负责")
    if body.endswith("按职责分别"):
        names = _names(body.removesuffix("按职责分别"))
        if not names:
            raise ClauseError("no bureau")
        return ParsedClause(text, [[(name, SEPARATE)] for name in names])
    split = _split_joint_lead(body)
    if split:
        leads, cos = _names(split[0]), _names(split[1])
        return ParsedClause(text, [_lead_and_co(leads, cos)])
    names = _names(body)
    if not names:
        raise ClauseError("no bureau")
    if len(names) == 1:
        return ParsedClause(text, [[(names[0], LEAD)]])
    return ParsedClause(text, [[(name, JOINT) for name in names]])


def _lead_and_co(leads: list[str], cos: list[str]) -> list[tuple[str, str]]:
    if not leads:
        raise ClauseError("no lead")
    lead_role = LEAD if len(leads) == 1 else JOINT
    category = [(name, lead_role) for name in leads]
    category += [(name, CO) for name in cos if name not in leads]
    return category
