"""What a measure read from a notice rewards (激励对象) and gives (forms of support), guessed from its words.

A notice writes its subject after the achievement: ``对…成效明显的<subject>，<support>``. The subject is read in
the first comma-separated part of each sentence that holds a kind of unit after its last 的, so that a unit named
later in the support (``用于支持省（区、市）推荐的先进典型市（地、州、盟）``) is not taken for the subject. Patterns
are tried longest first and a matched span is blanked, so ``县（市、区、旗）`` is one county and not also a district.

The kinds of every level of government are known here with the name an administrator sees; a kind the database
does not hold yet is created by the import that needs it (``STANDARD_KINDS``), so a provincial or national notice
imports on a database that was loaded with Guangzhou's kinds only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from measures.models import SupportForm
from organisation.models import UnitKind

from .simplified import to_simplified

# Codes of the kinds of other levels of government (Guangzhou's own kinds are the UnitKind constants).
PROVINCE = "province"
PREFECTURE = "prefecture"
COUNTY = "county"
PARK = "park"
DEVELOPMENT_ZONE = "development_zone"


@dataclass(frozen=True)
class StandardKind:
    code: str
    name: str  # as created when the database lacks it (UnitKind.name is unique)
    order: int


STANDARD_KINDS = {kind.code: kind for kind in [
    StandardKind(UnitKind.DISTRICT, "区", 1),
    StandardKind(UnitKind.STREET, "街道(镇)", 2),
    StandardKind(UnitKind.DISPATCHED_AGENCY, "政府派出机构", 3),
    StandardKind(UnitKind.HOSPITAL, "医院", 4),
    StandardKind(UnitKind.INSURANCE_BANK, "医保协议银行", 5),
    StandardKind(UnitKind.MEDICAL_INSTITUTION, "定点医疗机构", 6),
    StandardKind(UnitKind.LEGAL_SERVICE, "法律服务机构", 7),
    StandardKind(UnitKind.STATE_ENTERPRISE, "市属国有企业", 8),
    StandardKind(UnitKind.ENTERPRISE, "企业", 9),
    StandardKind(UnitKind.INNOVATION_PLATFORM, "创新平台", 10),
    StandardKind(UnitKind.MUNICIPAL_DEPARTMENT, "市牵头部门", 11),
    StandardKind(UnitKind.OTHER_UNIT, "其他单位", 12),
    StandardKind(PROVINCE, "省(区、市)", 20),
    StandardKind(PREFECTURE, "市(地、州、盟)", 21),
    StandardKind(COUNTY, "县(市、区、旗)", 22),
    StandardKind(PARK, "园区", 23),
    StandardKind(DEVELOPMENT_ZONE, "开发区", 24),
]}

# (pattern, kinds), longest and most specific first; text is NFKC-normalised (half-width parentheses).
_NOT_A_DISTRICT = r"(?![域划县级内外间])"
SUBJECT_PATTERNS: list[tuple[re.Pattern, list[str]]] = [(re.compile(p), kinds) for p, kinds in [
    (r"省\((?:区、市|自治区、直辖市)\)|省区市|省份", [PROVINCE]),
    (r"市\((?:地、州、盟|州、盟|地、州|州)\)|市州|地级以上市|地级市|设区的市|地市|资源枯竭城市", [PREFECTURE]),
    (r"县\((?:市、区、旗|市、区|区、市|市|区)\)|县市区|县区|县级", [COUNTY]),
    (r"区\((?:街、镇|街道、镇|镇、街)\)", [UnitKind.DISTRICT, UnitKind.STREET]),
    (r"区\(政府派出机构\)", [UnitKind.DISTRICT, UnitKind.DISPATCHED_AGENCY]),
    (r"(?:经济技术|高新技术产业|高新)?开发区|高新区|经开区", [DEVELOPMENT_ZONE]),
    (r"(?:产业|工业|物流|科技|农业)?园区", [PARK]),
    (r"街道|乡镇|镇街|街镇|镇\(街\)|街\(镇\)", [UnitKind.STREET]),
    (r"医保协议银行", [UnitKind.INSURANCE_BANK]),
    (r"定点医疗机构", [UnitKind.MEDICAL_INSTITUTION]),
    (r"医院", [UnitKind.HOSPITAL]),
    (r"律师事务所|公证机构|司法鉴定机构|法律服务机构", [UnitKind.LEGAL_SERVICE]),
    (r"(?:市属|省属|中央)?国有企业|国企", [UnitKind.STATE_ENTERPRISE]),
    (r"企业", [UnitKind.ENTERPRISE]),
    (r"创新平台|示范基地", [UnitKind.INNOVATION_PLATFORM]),
    (r"政府派出机构|派出机构", [UnitKind.DISPATCHED_AGENCY]),
    (r"(?:市|省)?牵头部门", [UnitKind.MUNICIPAL_DEPARTMENT]),
    (rf"(?:(?<=[的各和、])|^)区{_NOT_A_DISTRICT}", [UnitKind.DISTRICT]),
]]

SUPPORT_KEYWORDS = [("通报表扬", SupportForm.COMMENDATION), ("配套资金", SupportForm.MATCHING_FUNDS),
                    ("建设用地指标", SupportForm.LAND_QUOTA), ("加分", SupportForm.BONUS_POINTS),
                    ("资金", SupportForm.FUNDING), ("倾斜", SupportForm.FUNDING), ("试点", SupportForm.PILOT_PRIORITY),
                    ("优先推荐", SupportForm.PILOT_PRIORITY), ("平台建设", SupportForm.PLATFORM_BUILDING),
                    ("宣传推介", SupportForm.PUBLICITY), ("予以推广", SupportForm.PUBLICITY),
                    ("毕业生", SupportForm.GRADUATE_EMPLOYMENT), ("重要衡量因素", SupportForm.ASSESSMENT_FACTOR)]


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", to_simplified(text or "")).replace(" ", "")


def kinds_in(phrase: str) -> list[str]:
    """Every kind named in a phrase, in the order of ``SUBJECT_PATTERNS``."""
    text = _normalise(phrase)
    kinds: list[str] = []
    for pattern, codes in SUBJECT_PATTERNS:
        if pattern.search(text):
            kinds.extend(code for code in codes if code not in kinds)
            text = pattern.sub("　", text)
    return kinds


def subject_phrases(text: str) -> list[str]:
    """The subject of each sentence: the words after the last 的 of its first part that names a kind of unit;
    where those words are a list (工程研究中心、企业技术中心), the kind a later ``等…`` gives the list (等创新平台)."""
    phrases = []
    for sentence in re.split(r"[。;]", _normalise(text)):
        parts = sentence.split(",")
        for index, part in enumerate(parts):
            if "的" not in part:
                continue
            subject = part.rsplit("的", 1)[1]
            if not kinds_in(subject):
                continue
            if "、" in re.sub(r"\([^()]*\)", "", subject):
                rest = ",".join(parts[index:])
                general = [m.group(1) for m in re.finditer(r"等([^,、的]{1,12})", rest) if kinds_in(m.group(1))]
                subject = general[0] if general else subject
            phrases.append(subject)
            break
    return phrases


def guess_subject_kinds(text: str) -> list[str]:
    """Kinds of units a measure rewards (an administrator corrects them later): the subjects of its sentences,
    else any kind its words name, else districts."""
    kinds: list[str] = []
    for phrase in subject_phrases(text):
        kinds.extend(kind for kind in kinds_in(phrase) if kind not in kinds)
    return kinds or kinds_in(text) or [UnitKind.DISTRICT]


def guess_support_forms(text: str) -> list[str]:
    forms: list[str] = []
    for word, form in SUPPORT_KEYWORDS:
        if word in text and form.value not in forms:
            forms.append(form.value)
    return forms
