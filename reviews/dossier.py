"""The dossier of one category and year (一事一档): the whole file of one decision, for audit and archive transfer.

A dossier is a list of sections, each a list of entries; an entry is one record of the database (its fields as
they stand) with the audit records that wrote it, each with its chain value (HMAC-SM3, ``organisation.audit_chain``).
It is downloaded as a zip holding ``dossier.json`` (the machine-readable records) and ``dossier.pdf`` (the summary,
rendered by WeasyPrint as the bulletins are); ``manage.py verify_dossier FILE`` builds the same dossier again from
the database and names every entry whose data or chain value no longer match.

The sections are built by the functions of ``SECTIONS``, in order; a new section is a function of
``DossierContext`` → ``Section`` appended there."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from evaluation import selectors as evaluation_selectors
from evaluation.models import Criteria, Declaration, Panel, PanelExclusion, PanelMember, PanelScore, Stake
from measures.models import CapException, IncentiveCategory
from nominations.models import CapExceptionRequest, Cycle, NominationList, Nominee
from organisation import audit_chain
from organisation.audit import chain_fields
from organisation.models import AuditEntry

from .models import Bulletin, Objection
from .selectors.screening import screening_flags

FORMAT = "incentives-dossier/1"
# Fields never copied into a dossier: the objector's personal data (encrypted, masked, purged after the retention
# period; the dossier keeps the objection and its outcome).
LEFT_OUT = {"reviews.objection": {"name", "contact", "email", "personal_data_removed_at"}}


def plain(value):
    """``value`` as JSON gives it back (dates as ISO text, decimals as text): what is compared on verification."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def label(model) -> str:
    return model._meta.label_lower


def row_data(obj: Model) -> dict:
    """Every stored field of ``obj`` (foreign keys as ids), but those ``LEFT_OUT``."""
    left_out = LEFT_OUT.get(label(obj), set())
    return plain({f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields
                  if f.name not in left_out and f.attname not in left_out})


@dataclass
class Entry:
    kind: str                                    # the record's model, ``app.model``, or a derived record's name
    id: int
    summary: str                                 # one line for the PDF
    data: dict
    audit_of: list[tuple[str, int]] = field(default_factory=list)  # (model label, id) whose audit records it shows
    audit_actions: frozenset[str] | None = None  # only these actions (None: every one)
    audit: list[dict] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    def as_json(self) -> dict:
        return {"kind": self.kind, "id": self.id, "summary": self.summary, "data": self.data, "audit": self.audit}


def record(obj: Model, summary: str, *, audit_of: list[Model] | None = None, actions=None) -> Entry:
    """An entry for a row of the database, with the audit records of ``audit_of`` (the row itself by default)."""
    targets = audit_of if audit_of is not None else [obj]
    return Entry(kind=label(obj), id=obj.pk, summary=summary, data=row_data(obj),
                 audit_of=[(label(t), t.pk) for t in targets if t is not None],
                 audit_actions=frozenset(actions) if actions else None)


@dataclass
class Section:
    key: str
    title: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class DossierContext:
    """What every section builder reads: the cycle, the category, the category's list of the year (if any)."""

    cycle: Cycle
    category: IncentiveCategory
    nomination_list: NominationList | None
    nominees: list[Nominee]


# --- the sections ---------------------------------------------------------------------------------------------


def criteria_section(ctx: DossierContext) -> Section:
    section = Section("criteria", _("Criteria (评选标准)"))
    for criteria in (Criteria.objects.filter(category=ctx.category, year=ctx.cycle.year)
                     .prefetch_related("indicators").order_by("version")):
        entry = record(criteria, _("Version %(version)s, %(state)s") % {"version": criteria.version,
                                                                        "state": criteria.get_state_display()},
                       actions={"criteria.filed", "criteria.changed", "criteria.accepted", "criteria.returned"})
        entry.data["indicators"] = [row_data(i) for i in criteria.indicators.all()]
        section.entries.append(entry)
    return section


def sheet_section(ctx: DossierContext) -> Section:
    """The scoring sheet: every eligible unit's values, points, total and position, per version of the criteria
    the values were entered under (the current one)."""
    section = Section("sheet", _("Scoring sheet"))
    sheet = evaluation_selectors.sheet(category=ctx.category, year=ctx.cycle.year,
                                       programme_id=ctx.cycle.programme_id)
    if sheet.criteria is None:
        return section
    rows = [{"unit": row.unit.pk, "unit_name": row.unit.name,
             "values": {str(i): plain({"number": v.number, "passed": v.passed, "entered_by": v.entered_by_id})
                        for i, v in sorted(row.values.items())},
             "points": {str(i): plain(p) for i, p in sorted(row.points.items())},
             "total": plain(row.total), "position": row.position, "out": row.out_reason}
            for row in sheet.rows]
    section.entries.append(Entry(
        kind="evaluation.sheet", id=sheet.criteria.pk,
        summary=_("%(units)s eligible units, %(ranked)s ranked") % {"units": len(sheet.rows),
                                                                     "ranked": len(sheet.ranked())},
        data=plain({"criteria": sheet.criteria.pk, "rows": rows}),
        audit_of=[(label(Criteria), sheet.criteria.pk)],
        audit_actions=frozenset({"criteria.values_entered", "criteria.values_imported", "criteria.evidence_added"})))
    return section


def recusals_section(ctx: DossierContext) -> Section:
    """The declarations of interest (回避) of the year that name a unit eligible in the category or proposed in it."""
    section = Section("recusals", _("Recusals (回避)"))
    units = set(evaluation_selectors.eligible_units(category=ctx.category, programme_id=ctx.cycle.programme_id)
                .values_list("pk", flat=True)) | {n.unit_id for n in ctx.nominees}
    declarations = list(Declaration.objects.filter(programme_id=ctx.cycle.programme_id, year=ctx.cycle.year)
                        .select_related("person", "unit").order_by("declared_at", "id"))
    batches: dict[tuple, list[Declaration]] = {}  # one audit record per person's statement, on its first row
    for declaration in declarations:
        batches.setdefault((declaration.person_id, declaration.declared_at), []).append(declaration)
    for declaration in declarations:
        if declaration.stake == Stake.NONE or declaration.unit_id not in units:
            continue
        section.entries.append(record(
            declaration, f"{declaration.person.get_full_name() or declaration.person.get_username()} · "
                         f"{declaration.unit} · {declaration.get_stake_display()}",
            audit_of=batches[(declaration.person_id, declaration.declared_at)]))
    return section


def panel_section(ctx: DossierContext) -> Section:
    """The expert panel (专家评审): the draw (seed, pool, candidates, who was left out and why), each expert's
    scores and comments, and the panel's results beside the bureau's ranking (``panel_records``)."""
    section = Section("panel", _("Expert panel (专家评审)"))
    panel = (Panel.objects.filter(programme_id=ctx.cycle.programme_id, category=ctx.category, year=ctx.cycle.year)
             .select_related("convened_by").first())
    if panel is None:
        return section
    summary = evaluation_selectors.panel_records(cycle=ctx.cycle, category=ctx.category)
    entry = record(panel, _("Panel of %(size)s drawn with seed %(seed)s; replay gives the same experts: %(replay)s")
                   % {"size": panel.size, "seed": panel.seed, "replay": _("yes") if summary["draw"]["replay_matches"]
                      else _("no")})
    entry.data["results"] = plain(summary["results"])
    section.entries.append(entry)
    for exclusion in PanelExclusion.objects.filter(panel=panel).select_related("expert", "unit").order_by("pk"):
        section.entries.append(record(exclusion, f"{exclusion.expert.name} · {exclusion.get_reason_display()} · "
                                                 f"{exclusion.unit}", audit_of=[panel]))
    for member in PanelMember.objects.filter(panel=panel).select_related("expert").order_by("pk"):
        section.entries.append(record(member, f"{member.expert.name} · {member.expert.field}", audit_of=[panel]))
    for score in (PanelScore.objects.filter(member__panel=panel).select_related("member__expert", "unit")
                  .order_by("member_id", "unit_id")):
        section.entries.append(record(score, f"{score.member.expert.name} · {score.unit} · {score.total} · "
                                             f"{score.comment}", audit_of=[panel]))
    return section


def screening_section(ctx: DossierContext) -> Section:
    section = Section("screening", _("Screening flags and their settlement (负面清单)"))
    for flag in screening_flags(cycle=ctx.cycle, category_id=ctx.category.pk):
        event = flag.event
        settled = flag.settlement
        summary = (f"{event.unit} · {event.get_kind_display()} · {event.source_document} · {event.occurred_on} · "
                   + (f"{settled.get_outcome_display()}: {settled.reason}" if settled else _("not settled")))
        entry = record(settled, summary) if settled else Entry(kind="reviews.screeningflag", id=event.pk,
                                                               summary=summary, data={})
        entry.data["event"] = row_data(event)
        entry.audit_of.append((label(event), event.pk))
        section.entries.append(entry)
    return section


def decisions_section(ctx: DossierContext) -> Section:
    section = Section("decisions", _("The list and the decisions, with their reasons"))
    nl = ctx.nomination_list
    if nl is None:
        return section
    section.entries.append(record(nl, f"{nl.bureau.short_name} · {nl.get_state_display()}",
                                  actions={a for a in _list_actions()}))
    for nominee in ctx.nominees:
        entry = record(nominee, f"{nominee.rank}. {nominee.unit}", actions={"nominee.approved", "nominee.rejected",
                                                                           "award.withdrawn"})
        decision = getattr(nominee, "decision", None)
        entry.data["decision"] = row_data(decision) if decision else None
        award = getattr(nominee, "award", None)
        entry.data["award"] = row_data(award) if award else None
        if decision is not None:
            entry.summary += " · " + (_("approved") if decision.approved else _("not approved"))
            if decision.comment:
                entry.summary += f": {decision.comment}"
        section.entries.append(entry)
    return section


def _list_actions() -> set[str]:
    return {"nomination_list.created", "nomination_list.submitted", "nomination_list.resubmitted",
            "nomination_list.withdrawn", "nomination_list.returned", "nomination_list.decided"}


def exception_section(ctx: DossierContext) -> Section:
    section = Section("exception", _("Exception to the cap"))
    for exception in CapException.objects.filter(category=ctx.category, year=ctx.cycle.year):
        section.entries.append(record(exception, _("Limit %(limit)s: %(reason)s") % {
            "limit": exception.new_limit, "reason": exception.reason}))
    if ctx.nomination_list is not None:
        for request in CapExceptionRequest.objects.filter(nomination_list=ctx.nomination_list).order_by("pk"):
            section.entries.append(record(
                request, f"{request.requested_limit} · {request.get_state_display()} · {request.reason}",
                audit_of=[ctx.nomination_list],
                actions={"cap_exception_request.requested", "cap_exception_request.granted",
                         "cap_exception_request.refused"}))
    return section


def objections_section(ctx: DossierContext) -> Section:
    section = Section("objections", _("Objections and their outcomes"))
    for objection in Objection.objects.filter(cycle=ctx.cycle, category=ctx.category).select_related("unit"):
        section.entries.append(record(objection, f"{objection.receipt} · {objection.unit} · "
                                                 f"{objection.get_status_display()}"
                                                 + (f": {objection.settlement}" if objection.settlement else ""),
                                      actions={"objection.filed", "objection.dismissed", "objection.upheld"}))
    return section


def publication_section(ctx: DossierContext) -> Section:
    section = Section("publication", _("Public notice, publication and the bulletin"))
    cycle = ctx.cycle
    entry = record(cycle, f"{cycle.year} · {cycle.get_state_display()}",
                   actions={"cycle.notice_started", "cycle.published", "cycle.reopened", "bulletin.rendered"})
    entry.data = {k: entry.data[k] for k in ("id", "year", "state", "notice_starts_on", "notice_ends_on",
                                             "published_at", "published_by_id", "bulletin_number")}
    section.entries.append(entry)
    for bulletin in Bulletin.objects.filter(cycle=cycle, status=Bulletin.Status.DONE).order_by("version"):
        section.entries.append(Entry(kind=label(Bulletin), id=bulletin.pk,
                                     summary=f"v{bulletin.version} · SHA-256 {bulletin.sha256}",
                                     data=plain({"version": bulletin.version, "sha256": bulletin.sha256,
                                                 "ofd_sha256": bulletin.ofd_sha256,
                                                 "finished_at": bulletin.finished_at}),
                                     audit_of=[(label(Cycle), cycle.pk)],
                                     audit_actions=frozenset({"bulletin.rendered"})))
    return section


SectionBuilder = Callable[[DossierContext], Section]

# The dossier's sections, in the order of the file. Append a builder to add a section.
SECTIONS: list[SectionBuilder] = [
    criteria_section,
    sheet_section,
    recusals_section,
    panel_section,
    screening_section,
    decisions_section,
    exception_section,
    objections_section,
    publication_section,
]


# --- the dossier ------------------------------------------------------------------------------------------------


@dataclass
class Dossier:
    cycle: Cycle
    category: IncentiveCategory
    sections: list[Section]
    made_at: object = None

    @property
    def entries(self) -> list[Entry]:
        return [entry for section in self.sections for entry in section.entries]

    def header(self) -> dict:
        return {"format": FORMAT, "programme": self.cycle.programme.code, "year": self.cycle.year,
                "category": self.category.pk, "category_code": self.category.code,
                "category_name": self.category.name, "made_at": plain(self.made_at)}

    def as_json(self) -> dict:
        return {**self.header(),
                "sections": [{"key": s.key, "title": s.title, "entries": [e.as_json() for e in s.entries]}
                             for s in self.sections]}


def _context(cycle: Cycle, category: IncentiveCategory) -> DossierContext:
    nl = (NominationList.objects.filter(cycle=cycle, category=category).select_related("bureau").first())
    nominees = (list(Nominee.objects.filter(nomination_list=nl).select_related("unit", "decision", "award")
                     .order_by("rank")) if nl else [])
    return DossierContext(cycle=cycle, category=category, nomination_list=nl, nominees=nominees)


def _audit_attach(entries: list[Entry]) -> None:
    """Each entry's audit records (id, action, chain position, chain value), in one query."""
    types = {}
    condition = Q(pk__in=[])
    for entry in entries:
        for model_label, pk in entry.audit_of:
            if model_label not in types:
                app_label, model = model_label.split(".")
                types[model_label] = ContentType.objects.get_by_natural_key(app_label, model).pk
            condition |= Q(target_type_id=types[model_label], target_id=pk)
    found: dict[tuple[int, int], list[AuditEntry]] = {}
    for audit in AuditEntry.objects.filter(condition).order_by("chain_seq", "id"):
        found.setdefault((audit.target_type_id, audit.target_id), []).append(audit)
    for entry in entries:
        records = [a for model_label, pk in entry.audit_of for a in found.get((types[model_label], pk), [])
                   if entry.audit_actions is None or a.action in entry.audit_actions]
        entry.audit = [{"id": a.pk, "action": a.action, "at": plain(a.at), "actor": a.actor_id,
                        "chain_seq": a.chain_seq, "chain": a.chain}
                       for a in sorted({a.pk: a for a in records}.values(), key=lambda a: (a.chain_seq or 0, a.pk))]


def dossier_build(*, cycle: Cycle, category: IncentiveCategory, sections: list[SectionBuilder] | None = None) -> Dossier:
    """The dossier of ``category`` in ``cycle`` as the database holds it now."""
    ctx = _context(cycle, category)
    dossier = Dossier(cycle=cycle, category=category, made_at=timezone.now(),
                      sections=[build(ctx) for build in (SECTIONS if sections is None else sections)])
    _audit_attach(dossier.entries)
    return dossier


def dossier_pdf(dossier: Dossier) -> bytes:
    from weasyprint import HTML  # loaded on first use, as the bulletins do

    html = render_to_string("reviews/dossier_pdf.html", {"dossier": dossier, "header": dossier.header()})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def dossier_zip(dossier: Dossier) -> bytes:
    """The zip: ``dossier.pdf`` and ``dossier.json`` (which holds the PDF's SHA-256 and SM3)."""
    with translation.override("zh-hans"):
        pdf = dossier_pdf(dossier)
    document = dossier.as_json()
    document["pdf"] = {"sha256": hashlib.sha256(pdf).hexdigest(), "sm3": hashlib.new("sm3", pdf).hexdigest()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("dossier.json", json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True))
        archive.writestr("dossier.pdf", pdf)
    return buffer.getvalue()


# --- verification ------------------------------------------------------------------------------------------------


@dataclass
class Mismatch:
    key: str
    section: str
    what: str  # "data", "removed", "chain", "audit_removed", "pdf", "added"
    detail: str


def _chain_holds(audit: AuditEntry) -> bool:
    """Whether the record still matches its chain value, computed from the record before it."""
    keys = audit_chain.chain_keys()
    key = keys.get(audit.chain_key)
    if key is None or audit.chain_seq is None:
        return False
    if audit.chain_seq == 1:
        previous = audit_chain.GENESIS
    else:
        previous = (AuditEntry.objects.filter(chain_seq=audit.chain_seq - 1).values_list("chain", flat=True).first())
        if previous is None:  # archived before it: the newest archive's last value is what verify_audit starts from
            return True
    return hmac.compare_digest(audit_chain.link(key, previous, chain_fields(audit)), audit.chain)


def dossier_read(data: bytes) -> tuple[dict, bytes]:
    """``dossier.json`` and ``dossier.pdf`` of a dossier file; ValueError when it is not one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            document = json.loads(archive.read("dossier.json").decode("utf-8"))
            pdf = archive.read("dossier.pdf")
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not a dossier file ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"not a dossier file (format {document.get('format')!r}, expected {FORMAT!r})"
                         if isinstance(document, dict) else "not a dossier file")
    return document, pdf


def dossier_verify(data: bytes) -> tuple[dict, list[Mismatch], int]:
    """Check a dossier file against the database: each entry's data as the database holds it now, each audit
    record's chain value (stored, and recomputed from the record before it), and the PDF's digests. Returns the
    file's header, the mismatches, and how many entries were checked."""
    document, pdf = dossier_read(data)
    try:
        cycle = Cycle.objects.select_related("programme").get(programme__code=document["programme"],
                                                              year=document["year"])
        category = IncentiveCategory.objects.get(pk=document["category"], measure__document_id=cycle.document_id)
    except (Cycle.DoesNotExist, IncentiveCategory.DoesNotExist, KeyError, TypeError, ValueError):
        raise ValueError("the dossier's programme, year or category is not in the database") from None
    mismatches = []
    digests = document.get("pdf") or {}
    if digests.get("sha256") != hashlib.sha256(pdf).hexdigest():
        mismatches.append(Mismatch("dossier.pdf", "", "pdf", "the PDF does not match its SHA-256 in dossier.json"))
    now = dossier_build(cycle=cycle, category=category)
    current = {entry.key: entry for entry in now.entries}
    seen, checked = set(), 0
    audit_ids = [a["id"] for s in document.get("sections", []) for e in s.get("entries", [])
                 for a in e.get("audit", [])]
    audits = {a.pk: a for a in AuditEntry.objects.filter(pk__in=audit_ids)}
    for section in document.get("sections", []):
        for entry in section.get("entries", []):
            checked += 1
            key = f"{entry.get('kind')}:{entry.get('id')}"
            seen.add(key)
            found = current.get(key)
            if found is None:
                mismatches.append(Mismatch(key, section.get("key", ""), "removed",
                                           "no longer in the database (or no longer of this dossier)"))
            elif found.data != entry.get("data"):
                changed = sorted(k for k in set(found.data) | set(entry.get("data") or {})
                                 if found.data.get(k) != (entry.get("data") or {}).get(k))
                mismatches.append(Mismatch(key, section.get("key", ""), "data",
                                           "its data changed: " + ", ".join(changed)))
            for reference in entry.get("audit", []):
                audit = audits.get(reference.get("id"))
                if audit is None:
                    mismatches.append(Mismatch(key, section.get("key", ""), "audit_removed",
                                               f"audit record {reference.get('id')} is no longer in the database"))
                elif audit.chain != reference.get("chain") or not _chain_holds(audit):
                    mismatches.append(Mismatch(key, section.get("key", ""), "chain",
                                               f"audit record {audit.pk} (chain position {audit.chain_seq}) no "
                                               f"longer matches its chain value"))
    for key, entry in current.items():
        if key not in seen:
            mismatches.append(Mismatch(key, "", "added", f"in the database, not in the dossier: {entry.summary}"))
    return document, mismatches, checked
