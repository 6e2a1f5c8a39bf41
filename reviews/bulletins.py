"""Bulletins (通报): requesting a render and rendering the PDF.

The bulletin is laid out as an official document after GB/T 9704-2012 (see ``templates/bulletins/bulletin.html``):
red issuer mark, document number, red rule, title, addressees, one section per measure naming its awardees in
administrative-division order and the support they receive, the issuer and date, and the closing block (版记).
Rendering is split in three steps so that each can be used (and timed) alone:

* ``bulletin_context(cycle)`` reads the awards from the database into plain data (a fixed number of queries);
* ``bulletin_html(context)`` lays that data out as HTML;
* ``bulletin_pdf(html)`` has WeasyPrint turn it into a PDF with the Chinese fonts embedded (subsets).

``bulletin_render(bulletin_id=…)`` runs all three for one requested version and stores the file with its
SHA-256 and size. Every version is kept: rendering again adds a version, it never replaces one.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.utils import timezone

from incentives import roles
from incentives.audit import audit_record
from incentives.errors import PermissionDeniedError

from .models import Award, Bulletin

logger = logging.getLogger(__name__)

ISSUER = "广州市人民政府办公厅"
ISSUER_MARK = "广州市人民政府办公厅文件"
ADDRESSEES = "各区人民政府，市政府各部门、各直属机构"
COPIES_TO = "市委各部门，市人大常委会办公厅，市政协办公厅，市纪委监委，广州警备区，市法院，市检察院，各人民团体。"
PRINTING_OFFICE = "广州市人民政府办公厅秘书处"


def stale_render_after() -> datetime.timedelta:
    """A render claimed longer ago than this belongs to a worker that died: it may be claimed again."""
    return datetime.timedelta(minutes=settings.BULLETIN_STALE_RENDER_MINUTES)

CHINESE_SECTION_NUMERALS = "一二三四五六七八九十"

# How each form of support reads in the bulletin (the document is always in Chinese).
SUPPORT_WORDING = {
    "commendation": "予以通报表扬",
    "funding": "在相关资金安排上予以倾斜支持",
    "pilot_priority": "在申报国家、省试点示范和评优评先时优先推荐",
    "land_quota": "奖励新增建设用地计划指标",
    "bonus_points": "在相关年度考核中予以加分",
    "matching_funds": "按规定给予配套资金支持",
}


@dataclasses.dataclass
class BulletinCategory:
    name: str
    units: list[str]
    heading: str = ""


@dataclasses.dataclass
class BulletinSection:
    heading: str
    title: str
    support: str
    categories: list[BulletinCategory]


@dataclasses.dataclass
class BulletinContext:
    year: int
    number: str
    title: str
    date: str
    policy_title: str
    policy_number: str
    sections: list[BulletinSection]
    awardee_count: int
    issuer: str = ISSUER
    issuer_mark: str = ISSUER_MARK
    addressees: str = ADDRESSEES
    copies_to: str = COPIES_TO
    printing_office: str = PRINTING_OFFICE

    @property
    def awardees(self) -> list[str]:
        return [unit for section in self.sections for category in section.categories for unit in category.units]


def chinese_section_numeral(number: int) -> str:
    from measures.models import chinese_numeral

    return chinese_numeral(number)


def support_sentence(support_forms: list[str]) -> str:
    parts = [SUPPORT_WORDING[code] for code in support_forms if code in SUPPORT_WORDING]
    return "，".join(parts or [SUPPORT_WORDING["commendation"]])


def chinese_date(day: datetime.date) -> str:
    """GB/T 9704-2012 writes the date in Arabic numerals: 2023年3月15日."""
    return f"{day.year}年{day.month}月{day.day}日"


def bulletin_title(year: int) -> str:
    return f"{ISSUER}关于对{year}年度真抓实干成效明显单位予以督查激励的通报"


def bulletin_number(cycle) -> str:
    """The cycle's document number, or 穗府办〔year〕 with a blank serial for the General Office to fill in."""
    if cycle.bulletin_number:
        return cycle.bulletin_number
    issue_year = timezone.localtime(cycle.published_at).year if cycle.published_at else cycle.year + 1
    return f"穗府办〔{issue_year}〕\u3000\u3000号"


def build_sections(rows) -> list[BulletinSection]:
    """Group (measure number, measure title, support forms, category id, category name, unit name) rows, already
    sorted by measure, category and administrative order, into one section per measure."""
    sections: list[BulletinSection] = []
    by_measure: dict[int, BulletinSection] = {}
    by_category: dict[tuple, BulletinCategory] = {}
    for measure_number, measure_title, support_forms, category_key, category_name, unit_name in rows:
        section = by_measure.get(measure_number)
        if section is None:
            section = BulletinSection(heading=f"{chinese_section_numeral(len(sections) + 1)}、", title=measure_title,
                                      support=support_sentence(support_forms), categories=[])
            by_measure[measure_number] = section
            sections.append(section)
        category = by_category.get((measure_number, category_key))
        if category is None:
            category = BulletinCategory(name=category_name, units=[])
            by_category[(measure_number, category_key)] = category
            section.categories.append(category)
        category.units.append(unit_name)
    for section in sections:
        if len(section.categories) > 1:
            for index, category in enumerate(section.categories, start=1):
                category.heading = f"（{chinese_section_numeral(index)}）"
    return sections


def bulletin_context(cycle, *, on: datetime.date | None = None) -> BulletinContext:
    """The bulletin's content for a cycle, from its awards (3 queries)."""
    awards = (Award.objects.filter(cycle=cycle)
              .select_related("category__measure", "unit__parent", "unit__kind")
              .order_by("category__measure__number", "category__order", "unit__division_order", "unit__name"))
    rows = [(a.category.measure.number, a.category.measure.title, a.category.measure.support_forms, a.category_id,
             a.category.name, a.unit.display_name) for a in awards]
    document = cycle.document
    if on is None:
        on = timezone.localtime(cycle.published_at).date() if cycle.published_at else timezone.localdate()
    return BulletinContext(
        year=cycle.year, number=bulletin_number(cycle), title=bulletin_title(cycle.year), date=chinese_date(on),
        policy_title=document.title, policy_number=document.number, sections=build_sections(rows),
        awardee_count=len(rows),
    )


def bulletin_html(context: BulletinContext, *, extra_css: str = "") -> str:
    return render_to_string("bulletins/bulletin.html", {"doc": context, "extra_css": extra_css})


def bulletin_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def bulletin_pdf_for(cycle) -> bytes:
    return bulletin_pdf(bulletin_html(bulletin_context(cycle)))


# --- Services ------------------------------------------------------------------------------------------------

def bulletin_request(*, cycle, actor) -> Bulletin:
    """Add a new version of the cycle's bulletin and queue its rendering once the transaction commits.

    ``actor`` is the reviewer who asked (or published the cycle); ``None`` for the system."""
    from .tasks import bulletin_render as bulletin_render_task

    if actor is not None and not roles.is_reviewer(actor):
        raise PermissionDeniedError("Only General Office reviewers can have the bulletin rendered.")
    with transaction.atomic():
        version = (Bulletin.objects.filter(cycle=cycle).aggregate(v=Max("version"))["v"] or 0) + 1
        bulletin = Bulletin.objects.create(cycle=cycle, version=version, requested_by=actor)
        audit_record(actor=actor, action="bulletin.request", target=cycle, data={"version": version})
        transaction.on_commit(lambda: bulletin_render_task.delay(bulletin.pk))
    return bulletin


def bulletin_render(*, bulletin_id: int) -> Bulletin | None:
    """Render one requested version to PDF and store it. Idempotent: a version already rendered (or being
    rendered by another worker) is left alone. Returns the bulletin, or None when there was nothing to do."""
    now = timezone.now()
    claimed = Bulletin.objects.filter(pk=bulletin_id).filter(
        Q(status=Bulletin.Status.PENDING) | _stale_claim(now)
    ).update(status=Bulletin.Status.RENDERING, claimed_at=now)
    if not claimed:
        return None
    bulletin = Bulletin.objects.select_related("cycle__document").get(pk=bulletin_id)
    try:
        pdf = bulletin_pdf_for(bulletin.cycle)
    except Exception as error:  # noqa: BLE001 - the failure is recorded on the version and shown to reviewers
        logger.exception("bulletin %s failed to render", bulletin_id)
        with transaction.atomic():
            bulletin.status = Bulletin.Status.FAILED
            bulletin.error = f"{type(error).__name__}: {error}"[:4000]
            bulletin.finished_at = timezone.now()
            bulletin.save(update_fields=["status", "error", "finished_at"])
            audit_record(actor=None, action="bulletin.failed", target=bulletin.cycle,
                         data={"version": bulletin.version, "error": bulletin.error})
        return bulletin
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        bulletin.file.save(f"bulletin-{bulletin.cycle.year}-v{bulletin.version}.pdf", ContentFile(pdf), save=False)
        bulletin.sha256 = digest
        bulletin.size = len(pdf)
        bulletin.status = Bulletin.Status.DONE
        bulletin.error = ""
        bulletin.finished_at = timezone.now()
        bulletin.save(update_fields=["file", "sha256", "size", "status", "error", "finished_at"])
        audit_record(actor=None, action="bulletin.render", target=bulletin.cycle,
                     data={"version": bulletin.version, "sha256": digest, "size": len(pdf)})
    return bulletin


def _stale_claim(now) -> Q:
    cutoff = now - stale_render_after()
    return Q(status=Bulletin.Status.RENDERING) & (
        Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, requested_at__lt=cutoff))


def bulletin_claim_expires(*, bulletin_id: int):
    """When another worker's claim on a version still rendering becomes stale (None if it is not rendering)."""
    bulletin = Bulletin.objects.filter(pk=bulletin_id, status=Bulletin.Status.RENDERING).first()
    if bulletin is None:
        return None
    return (bulletin.claimed_at or bulletin.requested_at) + stale_render_after()


def bulletins_to_resume(*, now=None) -> list[int]:
    """Versions left behind: claimed by a process that died (stale "rendering"), or still waiting for a render
    long after they were requested (their task was lost). The periodic ``bulletins_resume`` queues them again."""
    now = now or timezone.now()
    waiting = Q(status=Bulletin.Status.PENDING, requested_at__lt=now - stale_render_after())
    return list(Bulletin.objects.filter(waiting | _stale_claim(now)).order_by("pk").values_list("pk", flat=True))


# --- Reads ---------------------------------------------------------------------------------------------------

def bulletin_newest_done(cycle) -> Bulletin | None:
    return Bulletin.objects.filter(cycle=cycle, status=Bulletin.Status.DONE).order_by("-version").first()


def bulletin_newest(cycle) -> Bulletin | None:
    return Bulletin.objects.filter(cycle=cycle).order_by("-version").first()


def bulletins_visible_to(user):
    """Reviewers see every version of every cycle; everyone else the versions of published cycles."""
    from nominations.models import Cycle

    queryset = Bulletin.objects.select_related("cycle")
    if user.is_authenticated and roles.is_reviewer(user):
        return queryset
    return queryset.filter(cycle__state=Cycle.State.PUBLISHED)


def bulletin_downloadable_by(user, bulletin: Bulletin) -> bool:
    """Reviewers download any finished version; the public only the newest finished one of a published cycle."""
    if bulletin.status != Bulletin.Status.DONE or not bulletin.file:
        return False
    if user.is_authenticated and roles.is_reviewer(user):
        return True
    newest = bulletin_newest_done(bulletin.cycle)
    return bulletin.cycle.is_published and newest is not None and newest.pk == bulletin.pk
