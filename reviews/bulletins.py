"""Bulletins (通报): requesting a render and rendering the PDF and the OFD file.

The bulletin is laid out as an official document after GB/T 9704-2012 (``templates/bulletins/bulletin.html``, its
figures in ``bulletin_layout``): red issuer mark, document number, red rule, title broken between words,
addressees, a short body naming the year and the count, the note of the attachment, the issuer and date, then the
attachment (附件) with one section per measure and one group per category naming its awardees in
administrative-division order with the support they receive, and the closing block (版记) with its printing date.
Rendering is split in steps so that each can be used (and timed) alone:

* ``bulletin_context(cycle)`` reads the awards from the database into plain data (a fixed number of queries);
* ``bulletin_html(context)`` lays that data out as HTML;
* ``bulletin_document(html)`` has WeasyPrint lay it out; ``bulletin_files(context)`` writes that one layout as a
  PDF with the Chinese fonts embedded (subsets) and as OFD (``reviews.ofd``), so both have the same pages.

``bulletin_render(bulletin_id=…)`` does it for one requested version and stores both files with their SHA-256.
Every version is kept: rendering again adds a version, it never replaces one.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import logging
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives.errors import DomainError, PermissionDeniedError
from measures.models import chinese_numeral
from nominations.models import Cycle, NominationList
from organisation import access, roles
from organisation.audit import AuditAction, audit_record
from organisation.models import GUANGZHOU

from . import bulletin_layout as layout
from . import ofd, seal
from .document_numbers import bulletin_number_validate
from .models import Award, Bulletin, BulletinPrinting
from .titles import title_lines

logger = logging.getLogger(__name__)

# The fixed texts of a bulletin are its cycle's programme's (organisation.Programme); these are Guangzhou's, the
# defaults of a context built without a programme.
ISSUER = GUANGZHOU["general_office"]
ISSUER_MARK = GUANGZHOU["issuer_mark"]
ADDRESSEES = GUANGZHOU["addressees"]
COPIES_TO = GUANGZHOU["copies_to"]
PRINTING_OFFICE = GUANGZHOU["printing_office"]


def stale_render_after() -> datetime.timedelta:
    """A render claimed longer ago than this belongs to a worker that died: it may be claimed again."""
    return datetime.timedelta(minutes=settings.BULLETIN_STALE_RENDER_MINUTES)


# How each form of support reads in the bulletin (the document is always in Chinese).
SUPPORT_WORDING = {
    "commendation": "予以通报表扬",
    "funding": "在相关资金安排上予以倾斜支持",
    "pilot_priority": "在申报国家、省试点示范和评优评先时优先推荐",
    "land_quota": "奖励新增建设用地计划指标",
    "bonus_points": "在相关年度考核中予以加分",
    "matching_funds": "按规定给予配套资金支持",
    "incentive_support": "予以激励支持",
    "assessment_encouragement": "在年度业绩考核中予以一定鼓励",
    "platform_building": "在相关平台建设方面给予倾斜支持",
    "publicity": "予以宣传推介",
    "graduate_employment": "优先组织引导优秀毕业生前往就业创业",
    "assessment_factor": "作为相关实绩考核的重要衡量因素",
}

# Half-width punctuation as the catalogue's texts carry it (the notice's web text has it) → the full-width forms an
# official document prints (GB/T 15834: Chinese text takes full-width punctuation).
FULL_WIDTH = str.maketrans({",": "，", ";": "；", "(": "（", ")": "）", ":": "：", "?": "？", "!": "！"})


def full_width(text: str) -> str:
    """``text`` with its half-width , ; ( ) : ? ! as full-width punctuation (every printed text goes through it)."""
    return (text or "").translate(FULL_WIDTH)


# Where the closing block (版记) goes, tried in this order until the bulletin ends on an even page: at the foot of
# the last page of text, alone on the next page, or on the page after a blank one (GB/T 9704-2012 §7.4, §7.5).
CLOSING_PLACEMENTS = ("last-page", "own-page", "after-blank")
COMMENDATION = "commendation"


class BulletinRow(NamedTuple):
    """One awardee line of the bulletin, in the order the bulletin lists them (``build_sections``)."""

    measure_number: int
    measure_title: str
    support: str | list[str]  # the category's own words, or forms of support worded by SUPPORT_WORDING
    category_key: object  # what tells two categories of one measure apart (the category's id)
    category_name: str
    unit_name: str
    description: str = ""  # what the category rewards: heads its group
    forms: tuple[str, ...] = ()  # the forms of support this awardee receives (``SupportForm`` codes)


@dataclasses.dataclass
class BulletinCategory:
    name: str
    units: list[str]
    heading: str = ""
    description: str = ""
    support: str = ""

    @property
    def title(self) -> str:
        """What the group's heading says: the achievement the category rewards, else its name."""
        return self.description or self.name


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
    printed_on: str = ""
    procedure: str = GUANGZHOU["bulletin_procedure"]
    closing_paragraph: str = GUANGZHOU["bulletin_closing"]
    commended_count: int | None = None  # awardees whose support includes 通报表扬 (None: every one)
    other_support: bool = True  # some awardee receives more than a commendation
    closing_placement: str = CLOSING_PLACEMENTS[0]
    # Who signed off (签发) each list the awards come from, where the programme required it: the bulletin's data
    # (recorded with every rendering), not its printed text.
    sign_offs: list[dict] = dataclasses.field(default_factory=list)

    def __post_init__(self):
        if not self.printed_on:
            self.printed_on = self.date
        if self.commended_count is None:
            self.commended_count = self.awardee_count
        # Printed text: full-width punctuation throughout (the catalogue's and the programme's words alike).
        for name in ("title", "policy_title", "issuer", "issuer_mark", "addressees", "copies_to", "printing_office",
                     "procedure", "closing_paragraph"):
            setattr(self, name, full_width(getattr(self, name)))
        for section in self.sections:
            section.title, section.support = full_width(section.title), full_width(section.support)
            for category in section.categories:
                category.name, category.description = full_width(category.name), full_width(category.description)
                category.support = full_width(category.support)
                category.units = [full_width(unit) for unit in category.units]

    @property
    def award_sentence(self) -> str:
        """What the body says the awardees receive, from the support each one receives: 通报表扬 only for those whose
        measure grants it (1, 6, 8, 10, 22, 26, 28, 29, 30-2, 30-3, 32-1 of 穗府办〔2022〕30号)."""
        count, commended = self.awardee_count, self.commended_count
        if commended and commended == count:
            return (f"{count}个（次）单位予以通报表扬，并给予相应督查激励支持" if self.other_support
                    else f"{count}个（次）单位予以通报表扬")
        if commended:
            return f"{count}个（次）单位给予相应督查激励支持，其中对{commended}个（次）单位予以通报表扬"
        return f"{count}个（次）单位给予相应督查激励支持"

    @property
    def closing_words(self) -> str:
        """The closing paragraph; where nobody is commended, it speaks of the units rewarded, not commended."""
        if self.commended_count:
            return self.closing_paragraph
        return self.closing_paragraph.replace("受到通报表扬的单位", "受到督查激励的单位")

    @property
    def awardees(self) -> list[str]:
        return [unit for section in self.sections for category in section.categories for unit in category.units]

    @property
    def title_lines(self) -> list[str]:
        return title_lines(self.title, max_chars=layout.TITLE_MAX_CHARS)

    @property
    def attachment_title(self) -> str:
        return attachment_title(self.year)

    @property
    def attachment_title_lines(self) -> list[str]:
        return title_lines(self.attachment_title, max_chars=layout.TITLE_MAX_CHARS)


def chinese_section_numeral(number: int) -> str:
    return chinese_numeral(number)


def support_sentence(support_forms: list[str] | tuple[str, ...]) -> str:
    parts = [SUPPORT_WORDING[code] for code in support_forms if code in SUPPORT_WORDING]
    return "，".join(parts or [SUPPORT_WORDING["commendation"]])


def chinese_date(day: datetime.date) -> str:
    """GB/T 9704-2012 writes the date in Arabic numerals: 2023年3月15日."""
    return f"{day.year}年{day.month}月{day.day}日"


def bulletin_title(year: int, issuer: str = ISSUER) -> str:
    return f"{issuer}关于对{year}年度真抓实干成效明显单位予以督查激励的通报"


def attachment_title(year: int) -> str:
    return f"{year}年度落实有关重大政策措施真抓实干成效明显单位名单"


def bulletin_number(cycle) -> str:
    """The cycle's document number, or its programme's prefix (穗府办) and 〔year〕 with a blank serial for the
    General Office to fill in."""
    if cycle.bulletin_number:
        return cycle.bulletin_number
    return f"{cycle.programme.number_prefix}〔{bulletin_issue_year(cycle)}〕\u3000\u3000号"


def bulletin_issue_year(cycle) -> int:
    """The year the bulletin is issued, which its number carries in 〔〕: the year of publication; while the cycle is
    not published, the year it can be published in at the earliest: the year after the performance year, or this
    year (Beijing time) when that is later."""
    if cycle.published_at:
        return timezone.localtime(cycle.published_at).year
    return max(cycle.year + 1, timezone.localdate().year)


def build_sections(rows: list[BulletinRow]) -> list[BulletinSection]:
    """Group rows, already sorted by measure, category and administrative order, into one section per measure
    with one group per category: every category of a measure is listed (measure 19 has 河长制湖长制 and 林长制).

    The category's description (what it rewards) heads its group. The support is the category's own, in the
    notice's words (a string), or a list of forms of support worded by ``SUPPORT_WORDING``."""
    sections: list[BulletinSection] = []
    by_measure: dict[int, BulletinSection] = {}
    by_category: dict[tuple, BulletinCategory] = {}
    for row in rows:
        support = row.support if isinstance(row.support, str) and row.support else support_sentence(row.support or [])
        section = by_measure.get(row.measure_number)
        if section is None:
            section = BulletinSection(heading=f"{chinese_section_numeral(len(sections) + 1)}、", title=row.measure_title,
                                      support=support, categories=[])
            by_measure[row.measure_number] = section
            sections.append(section)
        category = by_category.get((row.measure_number, row.category_key))
        if category is None:
            category = BulletinCategory(name=row.category_name, units=[], description=row.description, support=support)
            by_category[(row.measure_number, row.category_key)] = category
            section.categories.append(category)
        category.units.append(row.unit_name)
    for section in sections:
        if len(section.categories) > 1:
            for index, category in enumerate(section.categories, start=1):
                category.heading = f"（{chinese_section_numeral(index)}）"
        elif section.categories[0].description:
            # One category: the heading says what it rewards.
            section.title = section.categories[0].description
    return sections


def _award_support(award) -> str:
    """The award's category's support in the notice's words, as it read at publication once published."""
    return award.shown_support_text or support_sentence(award.shown_support_forms)


def _awardee_name(award) -> str:
    """An entitlement earned by a higher-level incentive names the awarding document: one line per incentive won."""
    if award.higher_award_id:
        return f"{award.shown_unit_name}（{award.higher_award.document_number}）"
    return award.shown_unit_name


def bulletin_sign_offs(cycle) -> list[dict]:
    """Who signed off each list of the cycle that an award comes from (one query): category, bureau, leader, when."""
    lists = (NominationList.objects.filter(cycle=cycle, signed_off_by__isnull=False,
                                           nominees__award__isnull=False).distinct()
             .select_related("category", "bureau", "signed_off_by").order_by("category__measure__number",
                                                                              "category__order", "pk"))
    return [{"list": nl.pk, "category": nl.category.code, "bureau": nl.bureau.short_name,
             "signed_off_by": nl.signed_off_by.get_full_name() or nl.signed_off_by.get_username(),
             "signed_off_by_id": nl.signed_off_by_id, "signed_off_at": nl.signed_off_at.isoformat()}
            for nl in lists]


def bulletin_context(cycle, *, on: datetime.date | None = None, printed_on: datetime.date | None = None) -> BulletinContext:
    """The bulletin's content for a cycle, from its awards (4 queries). ``on`` is the signing date (the date of
    publication by default), ``printed_on`` the printing date of the closing block: the cycle's
    (``BulletinPrinting``, fixed by the General Office), else the signing date. They may differ, as
    穗府办〔2022〕30号 was signed on 12-03 and printed on 12-06."""
    awards = (Award.objects.filter(cycle=cycle)
              .select_related("category__measure", "unit__parent", "unit__kind", "higher_award")
              .order_by("category__measure__number", "category__order", "category_id", "unit__division_order",
                        "unit__name", "pk"))
    # A published year reads its frozen values (as they were at publication), never today's catalogue.
    ordered = sorted(awards, key=lambda a: (a.shown_measure_number, a.category.order, a.category_id, *a.awardee_order()))
    rows = [BulletinRow(measure_number=a.shown_measure_number, measure_title=a.shown_measure_title,
                        support=_award_support(a), category_key=a.category_id, category_name=a.shown_category_name,
                        unit_name=_awardee_name(a), description=a.shown_category_description,
                        forms=tuple(a.shown_support_forms)) for a in ordered]
    document = cycle.document
    policy_title, policy_number = document.title, document.number
    if cycle.is_published and cycle.published_document_title:
        policy_title, policy_number = cycle.published_document_title, cycle.published_document_number
    if on is None:
        on = timezone.localtime(cycle.published_at).date() if cycle.published_at else timezone.localdate()
    printed_on = printed_on or cycle_printing_date(cycle) or on
    programme = cycle.programme
    return BulletinContext(
        year=cycle.year, number=bulletin_number(cycle), title=bulletin_title(cycle.year, programme.general_office),
        date=chinese_date(on), policy_title=policy_title, policy_number=policy_number, sections=build_sections(rows),
        awardee_count=len(rows), printed_on=chinese_date(printed_on),
        commended_count=sum(1 for row in rows if COMMENDATION in row.forms),
        other_support=any(set(row.forms) - {COMMENDATION} for row in rows),
        issuer=programme.general_office, issuer_mark=programme.issuer_mark, addressees=programme.addressees,
        copies_to=programme.copies_to, printing_office=programme.printing_office,
        procedure=programme.bulletin_procedure, closing_paragraph=programme.bulletin_closing,
        sign_offs=bulletin_sign_offs(cycle),
    )


def cycle_printing_date(cycle) -> datetime.date | None:
    """The printing date the General Office fixed for the cycle's bulletin, or None."""
    return BulletinPrinting.objects.filter(cycle=cycle).values_list("printed_on", flat=True).first()


def bulletin_printing_date(cycle) -> datetime.date:
    """The printing date of the cycle's bulletin: the date the General Office fixed on the cycle, else the signing
    date (the date of publication; today while the cycle is not published)."""
    fixed = cycle_printing_date(cycle)
    if fixed:
        return fixed
    return timezone.localtime(cycle.published_at).date() if cycle.published_at else timezone.localdate()


def layout_values() -> dict[str, str]:
    """The figures of bulletin_layout as the template writes them (mm, 3 decimals)."""
    values = {key: f"{value:.3f}" for key, value in layout.header_css_margins().items()}
    values.update(margin_top=layout.MARGIN_TOP, margin_right=layout.MARGIN_RIGHT, margin_bottom=layout.MARGIN_BOTTOM,
                  margin_left=layout.MARGIN_LEFT, body_pt=layout.BODY_PT, title_pt=layout.TITLE_PT,
                  mark_pt=layout.MARK_PT, page_number_pt=layout.PAGE_NUMBER_PT, body_pitch=f"{layout.BODY_PITCH:.3f}",
                  letter_spacing=f"{layout.LETTER_SPACING:.4f}", page_number_top=f"{layout.page_number_padding():.3f}",
                  page_number_line=f"{layout.PAGE_NUMBER_PT * layout.PT:.3f}",
                  **{f"chars{n}": f"{n * layout.CHAR_PITCH:.3f}" for n in (1, 2, 3, 4, 5)})
    return values


def bulletin_html(context: BulletinContext, *, extra_css: str = "") -> str:
    return render_to_string("bulletins/bulletin.html", {"doc": context, "geo": layout_values(), "extra_css": extra_css})


def bulletin_document(html: str):
    """WeasyPrint's layout of the bulletin: the PDF and the OFD are both written from it. It may read the
    application's own static files and nothing else (``pdf_fetcher``)."""
    from weasyprint import HTML  # loaded on first use: the web process rarely renders

    from .pdf_fetcher import StaticFilesFetcher

    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=StaticFilesFetcher()).render()


def bulletin_pdf(html: str) -> bytes:
    return bulletin_document(html).write_pdf()


@dataclasses.dataclass
class RenderedBulletin:
    pdf: bytes
    ofd: bytes
    pages: list[ofd.Page]


def bulletin_laid_out(context: BulletinContext):
    """WeasyPrint's layout of the bulletin with its closing block (版记) on an even page: the placements of
    ``CLOSING_PLACEMENTS`` are tried in order (each a layout) until the last page is even."""
    for placement in CLOSING_PLACEMENTS:
        context.closing_placement = placement
        document = bulletin_document(bulletin_html(context))
        if len(document.pages) % 2 == 0:
            break
    return document


def bulletin_files(context: BulletinContext, *, created: datetime.date | None = None) -> RenderedBulletin:
    """The bulletin as PDF and as OFD, from one layout, so that both have the same text on the same pages; each
    carries the issuing office's electronic seal where the deployment gives its keys (``reviews.seal``): a PAdES
    signature on the PDF with the seal's picture over the signing date, an SM2 signature inside the OFD."""
    document = bulletin_laid_out(context)
    pdf = document.write_pdf()
    pages = ofd.pages_from_document(document)
    package = ofd.ofd_from_pages(pages, title=context.title, author=context.issuer, created=created)
    place = seal.seal_place(pages, context.date)
    if seal.pdf_signing_configured():
        pdf = seal.sign_pdf(pdf, place=place, reason=context.title, location=context.issuer)
    if seal.ofd_signing_configured():
        package = seal.sign_ofd(package, place=place)
    return RenderedBulletin(pdf=pdf, ofd=package, pages=pages)


def bulletin_copy_check(*, bulletin: Bulletin, kind: str, data: bytes) -> seal.Verdict | None:
    """Check the seal of a stored version before it is handed out (the deployment signs bulletins): None when it
    is fine or was never signed (a version rendered before the keys were given), else the failed verdict, recorded
    in the audit trail (a stored file changed behind the application's back)."""
    configured = seal.pdf_signing_configured() if kind == "pdf" else seal.ofd_signing_configured()
    if not configured:
        return None
    verdict = seal.verify_pdf(data) if kind == "pdf" else seal.verify_ofd(data)
    if verdict.valid or not verdict.signed:
        return None
    with transaction.atomic():
        audit_record(actor=None, action=AuditAction.BULLETIN_SIGNATURE_INVALID, target=bulletin.cycle,
                     message="; ".join(verdict.problems)[:500],
                     data={"version": bulletin.version, "kind": kind, "problems": verdict.problems})
    return verdict


# --- Services ------------------------------------------------------------------------------------------------

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
        context = bulletin_context(bulletin.cycle, printed_on=bulletin.printed_on)
        printed_on = bulletin.printed_on or bulletin_printing_date(bulletin.cycle)
        files = bulletin_files(context, created=printed_on)
    except Exception as error:  # noqa: BLE001 - the failure is recorded on the version and shown to reviewers
        logger.exception("bulletin %s failed to render", bulletin_id)
        with transaction.atomic():
            bulletin.status = Bulletin.Status.FAILED
            bulletin.error = f"{type(error).__name__}: {error}"[:4000]
            bulletin.finished_at = timezone.now()
            bulletin.save(update_fields=["status", "error", "finished_at"])
            audit_record(actor=None, action=AuditAction.BULLETIN_FAILED, target=bulletin.cycle,
                         data={"version": bulletin.version, "error": bulletin.error})
        return bulletin
    pdf = files.pdf
    digest, ofd_digest = hashlib.sha256(pdf).hexdigest(), hashlib.sha256(files.ofd).hexdigest()
    with transaction.atomic():
        bulletin.file.save(f"bulletin-{bulletin.cycle.year}-v{bulletin.version}.pdf", ContentFile(pdf), save=False)
        bulletin.ofd_file.save(f"bulletin-{bulletin.cycle.year}-v{bulletin.version}.ofd", ContentFile(files.ofd),
                               save=False)
        bulletin.sha256 = digest
        bulletin.ofd_sha256 = ofd_digest
        bulletin.size = len(pdf)
        bulletin.printed_on = printed_on
        bulletin.status = Bulletin.Status.DONE
        bulletin.error = ""
        bulletin.finished_at = timezone.now()
        bulletin.save(update_fields=["file", "ofd_file", "sha256", "ofd_sha256", "size", "printed_on", "status",
                                     "error", "finished_at"])
        audit_record(actor=None, action=AuditAction.BULLETIN_RENDERED, target=bulletin.cycle,
                     data={"version": bulletin.version, "sha256": digest, "size": len(pdf), "ofd_sha256": ofd_digest,
                           "ofd_size": len(files.ofd), "pages": len(files.pages), "sign_offs": context.sign_offs})
    return bulletin


def bulletin_number_set(*, actor, cycle, number: str) -> Cycle:
    """Enter (or clear) the document number of the cycle's bulletin before it is published.

    The number is validated (``bulletin_number_validate``: issuer code, the year of publication in 〔〕, a serial
    without leading zeros) and unique among the cycles; a published cycle's number no longer changes."""
    if not (roles.is_reviewer(actor) or roles.is_administrator(actor)):
        raise PermissionDeniedError(_("Only the General Office can set the bulletin's document number."))
    number = (number or "").strip()
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.is_published:
            raise DomainError(_("The %(year)s cycle is published: its bulletin's document number no longer changes.")
                              % {"year": cycle.year}, field="bulletin_number")
        if number:
            try:
                number = bulletin_number_validate(number, year=bulletin_issue_year(cycle),
                                                  issuer_code=cycle.programme.number_prefix)
            except ValidationError as error:
                raise DomainError(error.messages[0], field="bulletin_number") from None
            taken = Cycle.objects.filter(programme_id=cycle.programme_id, bulletin_number=number).exclude(pk=cycle.pk).values_list("year", flat=True).first()
            if taken is not None:
                raise DomainError(_("%(number)s is already the number of the %(year)s cycle's bulletin.")
                                  % {"number": number, "year": taken}, field="bulletin_number")
        before = cycle.bulletin_number
        if number == before:
            return cycle
        cycle.bulletin_number = number
        cycle.save(update_fields=["bulletin_number"])
        audit_record(actor=actor, action=AuditAction.BULLETIN_NUMBER_CHANGED, target=cycle,
                     message=number or _("(no number)"), data={"before": before, "after": number})
    return cycle


def bulletin_printing_date_set(*, actor, cycle, day: datetime.date | None) -> datetime.date | None:
    """Fix (or clear: the signing date then prints) the printing date of the cycle's bulletin (…印发 in the closing
    block) before it is published. A published cycle's bulletin keeps the date it printed."""
    if not (roles.is_reviewer(actor) or roles.is_administrator(actor)):
        raise PermissionDeniedError(_("Only the General Office can set the bulletin's printing date."))
    if day is not None and not isinstance(day, datetime.date):
        raise DomainError(_("The printing date is not a date."), field="bulletin_printed_on")
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.is_published:
            raise DomainError(_("The %(year)s cycle is published: its bulletin's printing date no longer changes.")
                              % {"year": cycle.year}, field="bulletin_printed_on")
        before = cycle_printing_date(cycle)
        if day == before:
            return day
        if day is None:
            BulletinPrinting.objects.filter(cycle=cycle).delete()
        else:
            BulletinPrinting.objects.update_or_create(cycle=cycle, defaults={"printed_on": day})
        audit_record(actor=actor, action=AuditAction.BULLETIN_PRINTING_DATE_CHANGED, target=cycle,
                     message=day.isoformat() if day else _("(the signing date)"),
                     data={"before": before.isoformat() if before else None, "after": day.isoformat() if day else None})
    return day


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


# A version still pending this long after it was requested lost its task (the broker was down, a worker died
# holding it): it is queued again. Queueing a version twice renders it once (the claim).
PENDING_RESUME_AFTER = datetime.timedelta(minutes=1)


def bulletins_to_resume(*, now=None) -> list[int]:
    """Versions left behind: claimed by a process that died (stale "rendering"), or still waiting for a render
    a minute after they were requested (their task was lost). The periodic ``bulletins_resume`` queues them."""
    now = now or timezone.now()
    waiting = Q(status=Bulletin.Status.PENDING, requested_at__lt=now - min(PENDING_RESUME_AFTER, stale_render_after()))
    return list(Bulletin.objects.filter(waiting | _stale_claim(now)).order_by("pk").values_list("pk", flat=True))


# --- Reads ---------------------------------------------------------------------------------------------------

def bulletin_newest_done(cycle) -> Bulletin | None:
    return Bulletin.objects.filter(cycle=cycle, status=Bulletin.Status.DONE).order_by("-version").first()


def bulletin_newest(cycle) -> Bulletin | None:
    return Bulletin.objects.filter(cycle=cycle).order_by("-version").first()


def bulletins_visible_to(user):
    """Everyone the versions of published cycles (they are public); reviewers also every version of every cycle of
    their programmes."""
    queryset = Bulletin.objects.select_related("cycle__programme")
    published = Q(cycle__state=Cycle.State.PUBLISHED)
    if access.person(user).is_reviewer:
        return queryset.filter(published | Q(pk__in=access.restrict(Bulletin.objects.all(), user).values("pk")))
    return queryset.filter(published)


def bulletin_ofd_downloadable_by(user, bulletin: Bulletin) -> bool:
    """The OFD file goes with its PDF: whoever may download the one may download the other, once it exists."""
    return bool(bulletin.ofd_file) and bulletin_downloadable_by(user, bulletin)


def bulletin_downloadable_by(user, bulletin: Bulletin) -> bool:
    """Reviewers download any finished version; the public only the newest finished one of a published cycle."""
    if bulletin.status != Bulletin.Status.DONE or not bulletin.file:
        return False
    if user.is_authenticated and roles.is_reviewer(user):
        return True
    newest = bulletin_newest_done(bulletin.cycle)
    return bulletin.cycle.is_published and newest is not None and newest.pk == bulletin.pk
