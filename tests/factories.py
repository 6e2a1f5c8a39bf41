"""Test data for the whole suite (not a test module): people of every role, the catalogue's documents, measures and
categories, and the year's objects (programmes, cycles, nomination lists, nominees, decisions, awards), plus the
files and entries a clerk uploads. Where a helper goes through the project's services (audit records, rules), it
says so; the ``make_*`` helpers of the year's objects write rows directly, in the state asked for, as the tests that
exercise the services elsewhere expect."""

import datetime
import decimal
import hashlib
import io
import zipfile
from types import SimpleNamespace

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from measures.models import ImplementationRules, IncentiveCategory, Measure, PolicyDocument, Responsibility
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, Cycle, Extension, NominationList, Nominee
from nominations.services import NomineeEntry
from organisation import roles
from organisation.models import Bureau, Membership, Programme, Unit, UnitKind
from reviews.models import Award, CapException

PASSWORD = "correct-horse-battery-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov.cn")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
        self.save()


def make_user(username, *, role=None, bureaus=(), is_active=True, **fields):
    user = UserFactory(username=username, role=role, is_active=is_active, **fields)
    for bureau in bureaus:
        Membership.objects.get_or_create(user=user, bureau=bureau)
    return user


class BureauFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bureau
        django_get_or_create = ("short_name",)

    short_name = factory.Sequence(lambda n: f"市测试局{n}")
    full_name = factory.LazyAttribute(lambda o: "广州" + o.short_name)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = factory.LazyFunction(lambda: UnitKind.objects.get(code=UnitKind.DISTRICT))
    division_order = factory.Sequence(lambda n: 3000 + n)


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyDocument
        django_get_or_create = ("number",)

    title = "测试通知"
    number = factory.Sequence(lambda n: f"穗府办〔2099〕{n + 1}号")
    issuer = "广州市人民政府办公厅"


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    document = factory.SubFactory(DocumentFactory)
    number = factory.Sequence(lambda n: (n % 99) + 1)
    numeral = factory.LazyAttribute(lambda o: str(o.number))
    title = factory.Sequence(lambda n: f"测试措施{n}")
    text = "对……的区予以激励支持。(市测试局负责)"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncentiveCategory
        skip_postgeneration_save = True

    measure = factory.SubFactory(MeasureFactory)
    code = factory.LazyAttribute(lambda o: str(o.measure.number))
    name = factory.Sequence(lambda n: f"测试类别{n}")

    @factory.post_generation
    def kinds(self, create, extracted, **kwargs):
        self.subject_kinds.set(extracted or [UnitKind.DISTRICT])


def make_category(*, lead=None, co=(), measure=None, kinds=None, **fields):
    category = CategoryFactory(measure=measure or MeasureFactory(), kinds=kinds, **fields)
    order = 1
    if lead is not None:
        Responsibility.objects.create(category=category, bureau=lead, role=Responsibility.Role.LEAD, order=order)
        order += 1
    for bureau in co:
        Responsibility.objects.create(category=category, bureau=bureau, role=Responsibility.Role.CO, order=order)
        order += 1
    return category


# --- people of every role (organisation/roles.py) ------------------------------------------------------------------


def make_clerk(username, bureau, **fields):
    """Bureau staff of ``bureau`` (one ``Bureau`` or several)."""
    bureaus = bureau if isinstance(bureau, list | tuple) else [bureau]
    return make_user(username, role=roles.BUREAU_STAFF, bureaus=bureaus, **fields)


def make_reviewer(username="reviewer2", **fields):
    """A General Office reviewer."""
    return make_user(username, role=roles.REVIEWER, **fields)


def make_system_administrator(username="sysadmin", **fields):
    """The system administrator (the group ``administrator``): catalogue, cycles, bureaus, units, programmes."""
    return make_user(username, role=roles.SYSTEM_ADMINISTRATOR, **fields)


def make_security_administrator(username="secadmin", **fields):
    """The security administrator: accounts, roles, memberships, second factors."""
    return make_user(username, role=roles.SECURITY_ADMINISTRATOR, **fields)


def make_audit_administrator(username="auditadmin", **fields):
    """The audit administrator: reads the audit trail and nothing else."""
    return make_user(username, role=roles.AUDIT_ADMINISTRATOR, **fields)


# --- programmes --------------------------------------------------------------------------------------------------


def guangzhou() -> Programme:
    """The default programme, the one the fixtures' catalogue belongs to."""
    return Programme.objects.get(is_default=True)


def make_programme(actor, **fields) -> Programme:
    """Another programme, through ``organisation.services.programme_create`` (audited; ``actor`` is a system
    administrator, or None for the command line)."""
    from organisation.services import programme_create

    return programme_create(actor=actor, **fields)


# --- cycles --------------------------------------------------------------------------------------------------------


def document_in_force() -> PolicyDocument:
    return PolicyDocument.objects.get(in_force=True)


def make_cycle(year=2023, *, document=None, opens_at=None, deadline=None, **fields) -> Cycle:
    """A cycle written directly, in the state ``fields`` give (open by default): based on the document in force,
    opened on 1 January of ``year``, closing at the default deadline (31 March of the next year, Beijing)."""
    return Cycle.objects.create(year=year, document=document or document_in_force(),
                                opens_at=opens_at or datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                                deadline=deadline or default_deadline_for(year), **fields)


def make_published_cycle(year, *, published_at=None, **fields) -> Cycle:
    """A cycle whose results are published (written directly: no notice, no audit)."""
    return make_cycle(year, state=Cycle.State.PUBLISHED, published_at=published_at or timezone.now(), **fields)


def open_cycle(administrator, year=2090, *, days_left=30, **fields) -> Cycle:
    """A cycle opened through ``nominations.services.cycle_open`` (audited): opened yesterday, its deadline
    ``days_left`` days ahead (to the second)."""
    from nominations import services

    now = timezone.now().replace(microsecond=0)
    fields.setdefault("opens_at", now - datetime.timedelta(days=1))
    fields.setdefault("deadline", now + datetime.timedelta(days=days_left))
    return services.cycle_open(actor=administrator, year=year, **fields)


def close_cycle(cycle) -> Cycle:
    """Every deadline of ``cycle`` is over: the deadline moved to a minute ago (written directly)."""
    Cycle.objects.filter(pk=cycle.pk).update(deadline=timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=1))
    cycle.refresh_from_db()
    return cycle


# --- nomination lists and nominees --------------------------------------------------------------------------------


def make_list(cycle, category, bureau, units, *, state="submitted", clerk=None, submitted_at=None,
              submitted_before=datetime.timedelta(days=3), achievements="{unit.name}河湖长制工作成效明显") -> NominationList:
    """A nomination list written directly in ``state`` with ``units`` as its nominees, ranked in order. Unless it is a
    draft, it was submitted ``submitted_before`` the cycle's deadline (or at ``submitted_at``). ``achievements`` is
    formatted with each ``unit``."""
    if state != "draft" and submitted_at is None:
        submitted_at = cycle.deadline - submitted_before
    nl = NominationList.objects.create(cycle=cycle, category=category, bureau=bureau, state=state, created_by=clerk,
                                       submitted_at=submitted_at if state != "draft" else None)
    for rank, unit in enumerate(units, 1):
        Nominee.objects.create(nomination_list=nl, unit=unit, rank=rank, achievements=achievements.format(unit=unit))
    return nl


# The lists of the reviewer's pages (tests/test_reviews_pages.py and the modules that reuse its lists): submitted a
# day before the deadline, the same achievements for every nominee.
PAGES_LIST = {"submitted_before": datetime.timedelta(days=1), "achievements": "成效明显"}


def prepare_list(cycle, category, clerk, units, *, files_per_nominee=0) -> NominationList:
    """A clerk's draft list, through the nomination services (audited, checked): ``units`` nominated, each with
    ``files_per_nominee`` PDF files of evidence."""
    from nominations import services

    nl = services.nomination_list_get_or_create(actor=clerk, cycle=cycle, category=category)
    entries = [entry(u, files=[pdf_file(f"{u.pk}-{k}.pdf") for k in range(files_per_nominee)]) for u in units]
    return services.nomination_list_save(actor=clerk, nomination_list=nl, version=nl.version, entries=entries)


def nominees_of(nl) -> list[Nominee]:
    return list(nl.nominees.order_by("rank"))


# --- decisions and awards ----------------------------------------------------------------------------------------


def decide_all(reviewer, nl, approve=2, comment="复核意见"):
    """The reviewer decides every nominee of ``nl`` through ``reviews.services.nominee_decide``: the first
    ``approve`` by rank approved, the others refused."""
    from reviews import services

    for index, nominee in enumerate(nl.nominees.order_by("rank")):
        services.nominee_decide(actor=reviewer, nominee=nominee, approved=index < approve, comment=comment)


def owner_of(category) -> Bureau:
    """The bureau that prepares ``category``'s list (its lead, separately or jointly responsible bureau)."""
    return category.responsibilities.filter(role__in=["lead", "separate", "joint"]).first().bureau


def award(cycle, code, units, *, bureau=None, submitted_late=False) -> NominationList:
    """Awards of one category (by code, in the document in force), made directly (the services are tested
    elsewhere): a decided list of ``units``, submitted two days before the deadline (or two days after it)."""
    category = IncentiveCategory.objects.get(code=code, measure__document__in_force=True)
    owner = bureau or owner_of(category)
    submitted_at = cycle.deadline + datetime.timedelta(days=2 if submitted_late else -2)
    nl = NominationList.objects.create(cycle=cycle, category=category, bureau=owner, state="decided", submitted_at=submitted_at)
    for rank, unit in enumerate(units, 1):
        nominee = Nominee.objects.create(nomination_list=nl, unit=unit, rank=rank, achievements="成效明显")
        Award.objects.create(cycle=cycle, category=category, unit=unit, nominee=nominee, slot=rank)
    return nl


# The awardees of the bulletin's tests, by category code: districts by name.
AWARDED = {"6": ["海珠区", "越秀区", "番禺区"], "19-1": ["天河区"], "19-2": ["增城区", "从化区"], "3": ["白云区", "黄埔区", "南沙区"]}


def award_all(cycle, category, bureau, awarded=AWARDED):
    """A decided list and awards, written directly, for each category of ``awarded`` (code → district names).
    ``category`` and ``bureau`` are the conftest's look-ups (``bureau`` is unused, kept for the callers)."""
    for code, names in awarded.items():
        cat = category(code)
        nomination_list = NominationList.objects.create(cycle=cycle, category=cat, bureau=owner_of(cat),
                                                        state=NominationList.State.DECIDED)
        for slot, name in enumerate(names, start=1):
            unit = Unit.objects.get(name=name, kind_id=UnitKind.DISTRICT)
            nominee = Nominee.objects.create(nomination_list=nomination_list, unit=unit, rank=slot, achievements="成效明显")
            Award.objects.create(cycle=cycle, category=cat, unit=unit, nominee=nominee, slot=slot)


def make_awarded_cycle(category, bureau, *, awarded=AWARDED, **fields) -> Cycle:
    """The 2025 cycle under review with its bulletin's number, every category of ``awarded`` decided and awarded."""
    fields = {"opens_at": datetime.datetime(2026, 1, 5, tzinfo=BEIJING), "state": Cycle.State.REVIEW,
              "bulletin_number": "穗府办〔2026〕13号", **fields}
    cycle = make_cycle(2025, **fields)
    award_all(cycle, category, bureau, awarded)
    return cycle


# --- the year's phases: notice and publication ----------------------------------------------------------------


def notice_time(cycle):
    """A moment after every deadline of ``cycle`` (ten days after the latest, 10:00 Beijing), when its proposed
    awardees can go on public notice."""
    import datetime

    from nominations.deadlines import cycle_last_deadline
    from nominations.models import BEIJING

    day = cycle_last_deadline(cycle).astimezone(BEIJING).date() + datetime.timedelta(days=10)
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=BEIJING)


def put_on_notice(reviewer, cycle, *, at=None, reason="本年度无符合条件的单位"):
    """Take the cycle to the public notice, acknowledging every category without a submitted list."""
    from reviews import selectors, services

    at = at or notice_time(cycle)
    acknowledgements = {row.category.pk: reason for row in selectors.notice_preflight(cycle=cycle, now=at).missing}
    return services.cycle_notice_start(actor=reviewer, cycle=cycle, acknowledgements=acknowledgements, now=at)


def after_notice(cycle):
    """A moment after the cycle's public notice has ended."""
    import datetime

    from nominations.models import BEIJING

    cycle.refresh_from_db()
    return datetime.datetime.combine(cycle.notice_ends_on + datetime.timedelta(days=1), datetime.time(9),
                                     tzinfo=BEIJING)


def publish_final(reviewer, cycle):
    """The whole way from a closed cycle to its final publication: public notice, then publication after it."""
    from reviews import services

    if cycle.state != "notice":
        put_on_notice(reviewer, cycle)
    return services.cycle_publish(actor=reviewer, cycle=cycle, now=after_notice(cycle))


# --- what a clerk uploads and enters ----------------------------------------------------------------------------


def pdf_file(name="report.pdf", size=None):
    content = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    if size:
        content += b"0" * (size - len(content))
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png_file(name="photo.png"):
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")


def docx_file(name="summary.docx", *, folder="word/", parts=None):
    """An Office Open XML file (``folder`` "xl/" or "ppt/" for a workbook or a presentation) with ``parts`` beside
    its document (a VBA project: {"word/vbaProject.bin": b"..."}; a zip bomb: a large part of zeros)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<w:document/>")
        for part, content in (parts or {}).items():
            archive.writestr(part, content)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def ole_file(name="report.doc", *, storages=("WordDocument",)):
    """A .doc/.xls/.ppt (an OLE compound file, version 3) whose root holds the empty storages named: "Macros" (Word)
    or "_VBA_PROJECT_CUR" (Excel) are where macros live."""
    import struct

    free, end, fat_sector, nothing = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    fat = struct.pack("<II", fat_sector, end) + struct.pack("<I", free) * 126

    def entry(entry_name: str, kind: int, child: int, right: int) -> bytes:
        encoded = (entry_name + "\x00").encode("utf-16-le") if entry_name else b""
        return (encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", nothing, right, child) + b"\x00" * 36 + struct.pack("<IQ", end, 0))

    names = list(storages)[:3]
    entries = [entry("Root Entry", 5, 1 if names else nothing, nothing)]
    for index, storage in enumerate(names, start=1):
        entries.append(entry(storage, 1, nothing, index + 1 if index < len(names) else nothing))
    entries += [entry("", 0, nothing, nothing)] * (4 - len(entries))
    return SimpleUploadedFile(name, header + fat + b"".join(entries), content_type="application/octet-stream")


def disguised_file(name="report.pdf"):
    """A Windows executable renamed to look like a PDF."""
    return SimpleUploadedFile(name, b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, content_type="application/pdf")


def entry(unit, text="全年完成投资目标，排名第一。", figures="完成率 120%", files=()):
    return NomineeEntry(unit=unit, achievements=text, figures=figures, files=list(files))


# --- the year of the phases' tests (tests/test_phases.py, tests/test_ops_outbox.py) ----------------------------------

PHASES_YEAR = 2024
PHASES_DEADLINE = default_deadline_for(PHASES_YEAR)           # 2025-03-31 23:59:59 Beijing
PHASES_BEFORE = PHASES_DEADLINE - datetime.timedelta(days=1)
PHASES_AFTER = datetime.datetime(2025, 4, 10, 10, tzinfo=BEIJING)   # a Thursday, a working day


def make_phases_cycle() -> Cycle:
    """The 2024 cycle, opened on 1 June 2024."""
    return make_cycle(PHASES_YEAR, opens_at=datetime.datetime(PHASES_YEAR, 6, 1, tzinfo=BEIJING), deadline=PHASES_DEADLINE)


def make_phases_water_list(cycle, category, bureau, districts, clerk_water) -> NominationList:
    """王芳's list of 19-1 for 市水务局: three districts, submitted the day before the deadline."""
    return make_list(cycle, category("19-1"), bureau("市水务局"), districts[:3], clerk=clerk_water,
                     submitted_at=PHASES_BEFORE, achievements="{unit.name}河湖长制成效明显")


# --- a bigger catalogue, for query counts ----------------------------------------------------------------------


def make_bigger_catalogue(size, reviewer, districts, bureau):
    """A separate document with ``size`` categories, most of them with a list, nominees, decisions and awards."""
    document = DocumentFactory(in_force=False)
    cycle = make_cycle(year=2000 + size, document=document)
    water = bureau("市水务局")
    for index in range(size):
        category = make_category(lead=water, co=[bureau("市发展改革委")], measure=MeasureFactory(document=document, number=index + 1))
        if index % 4 == 3:
            continue  # not started
        nl = make_list(cycle, category, water, districts[:3], state=["submitted", "draft", "decided"][index % 3], **PAGES_LIST)
        for nominee in nl.nominees.all()[:1]:
            Award.objects.create(cycle=cycle, category=category, unit=nominee.unit, nominee=nominee, slot=1)
        if index % 5 == 0:
            CapException.objects.create(year=cycle.year, category=category, new_limit=4, reason="特例", decided_by=reviewer)
    Extension.objects.create(cycle=cycle, bureau=water, new_deadline=cycle.deadline + datetime.timedelta(days=3),
                             reason="延期", granted_by=reviewer)
    return cycle


# The second programme of the door's tests (Jiangsu, a provincial government in the same deployment).
JS_AMOUNT = decimal.Decimal("1234567.00")   # Jiangsu's money award: found nowhere else
JS_RULES_TITLE = "江苏河长制实施办法"


def make_rules_filing(measure, bureau, user, title, *, state=ImplementationRules.State.SUBMITTED) -> ImplementationRules:
    body = f"%PDF-1.4\n% {title}\n".encode()
    filing = ImplementationRules(measure=measure, bureau=bureau, title=title,
                                 token=hashlib.sha256(title.encode()).hexdigest()[:32], extension=".pdf",
                                 original_name="rules.pdf", content_type="application/pdf", size=len(body),
                                 sha256=hashlib.sha256(body).hexdigest(), submitted_by=user,
                                 submitted_at=timezone.now(), state=state)
    if state != ImplementationRules.State.SUBMITTED:
        filing.decided_by, filing.decided_at = user, timezone.now()
    filing.file.save("rules.pdf", ContentFile(body), save=False)
    filing.save()
    return filing


def make_second_programme(year: int) -> SimpleNamespace:
    """Jiangsu's programme: its bureaus, people, a district, a document in force with a money category and a
    category earned by higher-level incentives, a cycle of ``year`` with a list and a money award, a rules filing."""
    programme = Programme.objects.create(
        code="jiangsu", name="江苏省督查激励", government="江苏省人民政府", level="provincial",
        general_office="江苏省人民政府办公厅", bureau_prefix="省", place_name="江苏省", issuer_mark="江苏省人民政府办公厅文件",
        number_prefix="苏政办", addressees="各设区市人民政府", printing_office="江苏省人民政府办公厅秘书处")
    water = Bureau.objects.create(programme=programme, short_name="省水利厅", full_name="江苏省水利厅")
    finance = Bureau.objects.create(programme=programme, short_name="市财政局", full_name="江苏某市财政局")
    # The fix's field; ignored by save() before it exists (the tests still run and show the leaks).
    programme.finance_bureau = finance
    programme.save()
    clerk = make_user("d_js_clerk", role=roles.BUREAU_STAFF, bureaus=[water])
    finance_clerk = make_user("d_js_finance", role=roles.BUREAU_STAFF, bureaus=[finance])
    reviewer = make_user("d_js_reviewer", role=roles.REVIEWER)
    programme.reviewers.add(reviewer)
    unit = Unit.objects.create(programme=programme, kind_id=UnitKind.DISTRICT, name="南京市", division_order=1)
    document = PolicyDocument.objects.create(programme=programme, number="苏政办发〔2024〕1号", title="江苏通知",
                                             issuer="江苏省人民政府办公厅", in_force=True)
    measure = Measure.objects.create(document=document, number=1, numeral="一", title="河长制", text="（省水利厅负责）")
    category = IncentiveCategory.objects.create(measure=measure, code="1", name="河长制", order=1,
                                                support_forms=["funding"])
    category.subject_kinds.add(UnitKind.DISTRICT)
    Responsibility.objects.create(category=category, bureau=water, role=Responsibility.Role.LEAD)
    matching = Measure.objects.create(document=document, number=2, numeral="二", title="国务院督查激励配套",
                                      text="（市财政局负责）")
    earned = IncentiveCategory.objects.create(measure=matching, code="2", name="获国务院督查激励的市", order=1,
                                              kind="entitlement", support_forms=["matching_funds"],
                                              award_amount=decimal.Decimal("3000000"), earned_by_higher_award=True)
    earned.subject_kinds.add(UnitKind.DISTRICT)
    Responsibility.objects.create(category=earned, bureau=finance, role=Responsibility.Role.LEAD)
    cycle = Cycle.objects.create(year=year, document=document, opens_at=datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                                 deadline=default_deadline_for(year))
    nomination_list = NominationList.objects.create(cycle=cycle, category=category, bureau=water, created_by=clerk)
    nominee = Nominee.objects.create(nomination_list=nomination_list, unit=unit, rank=1, achievements="成效明显")
    award = Award.objects.create(cycle=cycle, category=category, unit=unit, nominee=nominee, slot=1, amount=JS_AMOUNT)
    rules = make_rules_filing(measure, water, clerk, JS_RULES_TITLE)
    return SimpleNamespace(programme=programme, finance_bureau=finance, clerk=clerk, finance=finance_clerk,
                           reviewer=reviewer, unit=unit, document=document, category=category, earned=earned,
                           cycle=cycle, list=nomination_list, award=award, rules=rules)


# --- the evaluation behind a list (evaluation/) -------------------------------------------------------------------

# Measure 6 (水务建设投资): three weighted indicators and, for the service tests, a 否决项.
MEASURE6_INDICATORS = [
    dict(name="投资完成率", method="quantity", weight="50", direction="higher", unit_of_measure="%",
         data_source="市水务局年度投资统计"),
    dict(name="项目建设质量", method="score", weight="30", scale_min="0", scale_max="100",
         data_source="市水务局质量抽查", evidence_required=True),
    dict(name="群众满意度", method="score", weight="20", scale_min="0", scale_max="10", data_source="第三方满意度调查"),
]
SAFETY_CONDITION = dict(name="无重大安全事故", method="condition", weight="0", data_source="市应急管理局通报")
# Values of the 11 districts (投资完成率, 项目建设质量, 群众满意度), in administrative order: 越秀区 … 增城区.
DISTRICT_VALUES = {
    "越秀区": ("101", "80", "8"), "海珠区": ("120", "90", "9"), "荔湾区": ("95", "70", "7"),
    "天河区": ("110", "88", "9"), "白云区": ("90", "75", "6"), "黄埔区": ("115", "85", "8"),
    "番禺区": ("105", "82", "8"), "花都区": ("92", "70", "7"), "南沙区": ("100", "78", "7"),
    "从化区": ("85", "60", "6"), "增城区": ("98", "74", "7"),
}


def indicator_specs(*rows):
    from evaluation.services import IndicatorSpec

    return [IndicatorSpec(**row) for row in rows]


def file_criteria(clerk, category, year, rows=None):
    """The category's criteria filed by ``clerk`` through the service (measure 6's three indicators by default)."""
    from evaluation.services import criteria_file

    return criteria_file(actor=clerk, category=category, year=year,
                         indicators=indicator_specs(*(rows or MEASURE6_INDICATORS)))


def declare_nothing(user, year, programme=None):
    from evaluation.services import declaration_make

    programme = programme or Programme.objects.default()
    return declaration_make(actor=user, programme_id=programme.pk, year=year, nothing=True)


def values_workbook(rows, header=("单位", "投资完成率", "项目建设质量", "群众满意度")) -> bytes:
    """An .xlsx of values: a header row, then one row per unit."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def district_rows(values=DISTRICT_VALUES, **replaced):
    """The rows of ``values_workbook`` for the 11 districts, a district's row replaced where given."""
    return [(name, *replaced.get(name, figures)) for name, figures in values.items()]


# --- expert panels ------------------------------------------------------------------------------------------------

# Category 10 (工业稳增长, 市工业和信息化局): two weighted indicators; four districts with every value in are ranked
# 海珠区, 天河区, 黄埔区, 番禺区 (the others have no values: not ranked, so not candidates).
INDUSTRY_INDICATORS = [
    dict(name="工业增加值增速", method="quantity", weight="60", direction="higher", unit_of_measure="%",
         data_source="市统计局"),
    dict(name="智能制造示范", method="score", weight="40", scale_min="0", scale_max="10", data_source="市工业和信息化局"),
]
INDUSTRY_VALUES = {"海珠区": ("8.0", "9"), "天河区": ("7.5", "8"), "黄埔区": ("7.0", "8"), "番禺区": ("6.0", "7")}
# The pool: 工业经济 experts (eight; 孙浩 and 周敏 will declare stakes) and one of another field.
POOL = [("刘洋", "工业经济", "华南理工大学"), ("陈刚", "工业经济", "中山大学"), ("黄丽", "工业经济", "暨南大学"),
        ("林峰", "工业经济", "广东工业大学"), ("吴静", "工业经济", "广州大学"), ("孙浩", "工业经济", "省社科院"),
        ("周敏", "工业经济", "市社科院"), ("郑凯", "工业经济", "华南师范大学"), ("马琳", "水利工程", "河海大学")]


def industry_ranking(year, *, reviewer, programme=None):
    """Category 10's accepted criteria for ``year`` and the values of four districts, through the services: a
    clerk of 市工业和信息化局 files, declares nothing and enters; ``reviewer`` accepts. Returns the category."""
    from evaluation.services import criteria_accept, values_enter

    programme = programme or Programme.objects.default()
    category = IncentiveCategory.objects.get(measure__document__programme=programme, measure__document__in_force=True,
                                             code="10")
    clerk = make_user("gongxin", first_name="何敏", role=roles.BUREAU_STAFF,
                      bureaus=[Bureau.objects.get(programme=programme, short_name="市工业和信息化局")])
    criteria = file_criteria(clerk, category, year, rows=INDUSTRY_INDICATORS)
    criteria_accept(actor=reviewer, criteria=criteria)
    declare_nothing(clerk, year, programme)
    units = {u.name: u for u in Unit.objects.filter(programme=programme, name__in=INDUSTRY_VALUES)}
    indicators = list(criteria.indicators.order_by("order"))
    values_enter(actor=clerk, criteria=criteria, cells={
        (units[name], indicator): figures[index]
        for name, figures in INDUSTRY_VALUES.items() for index, indicator in enumerate(indicators)})
    return category


def expert_pool(programme=None, rows=POOL, prefix="expert"):
    """The programme's pool: one account (role ``expert``) and one entry per row, written directly."""
    from evaluation.models import Expert

    programme = programme or Programme.objects.default()
    return [Expert.objects.create(programme=programme, name=name, field=field, organisation=organisation,
                                  contact="020-0000000", user=make_user(f"{prefix}{index}", first_name=name,
                                                                        role=roles.EXPERT))
            for index, (name, field, organisation) in enumerate(rows, start=1)]
