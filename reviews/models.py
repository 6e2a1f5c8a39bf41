"""The General Office's decisions: per-nominee decisions, awards under the cap, exceptions, bulletins."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incentives.crypto import EncryptedTextField, mask_contact, mask_email, mask_name
from measures.limits import ABSOLUTE_MAXIMUM, CAP_IN_PRINCIPLE
from measures.models import CapException, IncentiveCategory, SupportForm, chinese_numeral
from nominations.models import Cycle, Nominee
from organisation.models import Unit


class Decision(models.Model):
    """The reviewer's decision on one nominee: approved or not, with a comment."""

    nominee = models.OneToOneField(Nominee, on_delete=models.CASCADE, related_name="decision", verbose_name=_("nominee"))
    approved = models.BooleanField(_("approved"))
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), auto_now=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self):
        return f"{self.nominee}: {'✓' if self.approved else '✗'}"


class HigherAward(models.Model):
    """The register of higher-level incentives won (国务院 / 省 督查激励) by Guangzhou's districts and lead departments.

    A confirmed State Council entry creates the award of the cycle's category that such incentives earn (measure
    32: 500万元 for a district, assessment points for a lead department). A provincial entry is kept in the register
    (repeat winners, statistics) but earns nothing under measure 32, which names State Council incentives only."""

    class Level(models.TextChoices):
        STATE_COUNCIL = "state_council", _("State Council")
        PROVINCE = "province", _("Province")

    class State(models.TextChoices):
        RECORDED = "recorded", _("Recorded, waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="higher_awards", verbose_name=_("cycle"))
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.STATE_COUNCIL)
    document_number = models.CharField(_("awarding document"), max_length=64, help_text=_("e.g. 国办发〔2022〕21号"))
    higher_measure = models.CharField(_("measure won"), max_length=255,
                                      help_text=_("The incentive measure of the awarding document, in its words"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="higher_awards", verbose_name=_("unit"))
    category = models.ForeignKey(IncentiveCategory, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="higher_awards", verbose_name=_("category earned"))
    awarded_on = models.DateField(_("date of the document"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RECORDED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("higher-level incentive won")
        verbose_name_plural = _("higher-level incentives won")
        ordering = ["-awarded_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["document_number", "higher_measure", "unit"],
                                    name="%(app_label)s_%(class)s_unique_entry",
                                    violation_error_message=_("This unit is already registered for this measure of this document.")),
        ]

    def __str__(self):
        return f"{self.document_number} · {self.unit}"


class Award(models.Model):
    """An awardee of a category in a cycle.

    The cap is held by the database: every award takes a numbered slot, slots are unique per category and
    cycle, and a slot can never exceed ABSOLUTE_MAXIMUM (measures.limits). The service hands out slot ``n + 1`` only while
    ``n`` is under the category's limit (3, or an exception's), under a row lock on the list; two concurrent
    approvals that both see the same ``n`` collide on the unique slot and one of them is refused.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="awards", verbose_name=_("cycle"))
    category = models.ForeignKey(IncentiveCategory, on_delete=models.PROTECT, related_name="awards", verbose_name=_("category"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="awards", verbose_name=_("unit"))
    nominee = models.OneToOneField(Nominee, on_delete=models.PROTECT, null=True, blank=True, related_name="award",
                                   verbose_name=_("nominee"))
    # A selection's award takes a numbered slot under the cap; an entitlement's has none (no cap).
    slot = models.PositiveSmallIntegerField(_("slot"), null=True, blank=True)
    is_entitlement = models.BooleanField(_("entitlement"), default=False)
    higher_award = models.OneToOneField(HigherAward, on_delete=models.PROTECT, null=True, blank=True, related_name="award",
                                        verbose_name=_("higher-level incentive"))
    amount = models.DecimalField(_("amount pledged (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    cap_exception = models.ForeignKey(CapException, on_delete=models.PROTECT, null=True, blank=True, related_name="awards",
                                      verbose_name=_("exception to the cap"),
                                      help_text=_("The recorded exception that allows a slot above 3"))
    awarded_at = models.DateTimeField(_("awarded at"), auto_now_add=True)
    # As the award read when its year was published (frozen): later catalogue edits, imports and unit renames
    # never change a published year, its pages or its bulletin. Empty until the first publication.
    published_measure_number = models.PositiveSmallIntegerField(_("measure number at publication"), null=True,
                                                                blank=True)
    published_measure_title = models.CharField(_("measure title at publication"), max_length=255, blank=True)
    published_category_name = models.CharField(_("category name at publication"), max_length=255, blank=True)
    published_category_description = models.TextField(_("category description at publication"), blank=True)
    published_support_forms = models.JSONField(_("forms of support at publication"), default=list, blank=True)
    published_support_text = models.TextField(_("support at publication"), blank=True)
    published_unit_name = models.CharField(_("unit name at publication"), max_length=200, blank=True)
    published_division_order = models.PositiveIntegerField(_("administrative order at publication"), null=True,
                                                           blank=True)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["cycle", "category", "slot"]
        # The admin's order (the newest year first; the id breaks ties, a slot being empty for entitlements).
        indexes = [models.Index(fields=["-cycle", "category", "slot", "-id"], name="reviews_award_admin_order")]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "category", "slot"], name="%(app_label)s_%(class)s_unique_slot",
                                    violation_error_message=_("This category has reached its number of awardees for the cycle.")),
            models.UniqueConstraint(fields=["cycle", "category", "unit"], condition=Q(is_entitlement=False),
                                    name="%(app_label)s_%(class)s_unique_unit",
                                    violation_error_message=_("This unit is already an awardee of this category.")),
            # A selection's award has a slot; an entitlement's has none, and it comes from a nominee or the register.
            models.CheckConstraint(condition=(Q(is_entitlement=False) & Q(slot__isnull=False))
                                   | (Q(is_entitlement=True) & Q(slot__isnull=True)),
                                   name="%(app_label)s_%(class)s_slot_for_selections",
                                   violation_error_message=_("A selection's award takes a slot under the cap; an entitlement's does not.")),
            models.CheckConstraint(condition=Q(nominee__isnull=False) | Q(higher_award__isnull=False),
                                   name="%(app_label)s_%(class)s_has_origin",
                                   violation_error_message=_("An award comes from a nominee or from the register.")),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0),
                                   name="%(app_label)s_%(class)s_amount_not_negative",
                                   violation_error_message=_("An amount is not negative.")),
            models.CheckConstraint(condition=Q(slot__gte=1) & Q(slot__lte=ABSOLUTE_MAXIMUM), name="%(app_label)s_%(class)s_slot_range",
                                   violation_error_message=_("Too many awardees for one category.")),
            # The cap of 3 in the database itself: a fourth slot exists only with a recorded exception.
            models.CheckConstraint(condition=Q(slot__lte=CAP_IN_PRINCIPLE) | Q(cap_exception__isnull=False),
                                   name="%(app_label)s_%(class)s_cap_needs_exception",
                                   violation_error_message=_("More than 3 awardees needs a recorded exception to the cap.")),
        ]

    def __str__(self):
        return f"{self.cycle.year} · {self.category.code} · {self.unit}"

    @property
    def is_frozen(self) -> bool:
        return bool(self.published_unit_name)

    # What pages and the bulletin show: the frozen value once published, the catalogue's before.
    @property
    def shown_division_order(self) -> int:
        """The unit's administrative order as published; the unit's own before publication, or when the year was
        published before the order was recorded."""
        if self.is_frozen and self.published_division_order is not None:
            return self.published_division_order
        return self.unit.division_order

    def awardee_order(self) -> tuple:
        """Where the awardee stands among its category's awardees, on every page and in the bulletin: the
        administrative order, then the name as shown, then the award's id."""
        return (self.shown_division_order, self.shown_unit_name, self.pk)

    @property
    def shown_unit_name(self) -> str:
        return self.published_unit_name or self.unit.display_name

    @property
    def shown_measure_title(self) -> str:
        return self.published_measure_title or self.category.measure.title

    @property
    def shown_measure_number(self) -> int:
        return self.published_measure_number or self.category.measure.number

    @property
    def shown_measure_numeral(self) -> str:
        return chinese_numeral(self.shown_measure_number)

    @property
    def shown_category_name(self) -> str:
        return self.published_category_name or self.category.name

    @property
    def shown_category_description(self) -> str:
        return self.published_category_description if self.is_frozen else self.category.description

    @property
    def shown_support_forms(self) -> list[str]:
        if self.is_frozen:
            return list(self.published_support_forms)
        return list(self.category.support_forms or self.category.measure.support_forms)

    @property
    def shown_support_forms_display(self) -> list[str]:
        labels = dict(SupportForm.choices)
        return [str(labels.get(code, code)) for code in self.shown_support_forms]

    @property
    def shown_support_text(self) -> str:
        return self.published_support_text if self.is_frozen else self.category.support_text


class MissingListAcknowledgement(models.Model):
    """A reviewer's recorded acknowledgement, before the public notice, that a category of the cycle has no list
    at all, with the reason."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="missing_list_acknowledgements",
                              verbose_name=_("cycle"))
    category = models.ForeignKey(IncentiveCategory, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("category"))
    reason = models.TextField(_("reason"))
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("acknowledged by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("category without a list")
        verbose_name_plural = _("categories without a list")
        ordering = ["cycle", "category"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "category"], name="%(app_label)s_%(class)s_unique_category",
                                    violation_error_message=_("This category is already acknowledged.")),
        ]

    def __str__(self):
        return f"{self.cycle.year} · {self.category.code}"


def objection_upload_to(instance, filename):
    return f"objections/{instance.cycle.year}/{instance.evidence_token}{instance.evidence_extension}"


class Objection(models.Model):
    """An objection to a proposed awardee during the public notice (公示), in writing under a real name."""

    class Status(models.TextChoices):
        OPEN = "open", _("Not settled")
        DISMISSED = "dismissed", _("Dismissed")
        UPHELD = "upheld", _("Upheld")

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="objections", verbose_name=_("cycle"))
    receipt = models.CharField(_("receipt number"), max_length=32, unique=True)
    category = models.ForeignKey(IncentiveCategory, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("category"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    award = models.ForeignKey(Award, on_delete=models.SET_NULL, null=True, blank=True, related_name="objections",
                              verbose_name=_("award"), help_text=_("Empty once the award is withdrawn"))
    # The objector's personal data: encrypted at rest (SM4, incentives.crypto), shown in full only to the
    # reviewers of the objection's programme on its page, masked in lists, removed after the retention period
    # (reviews.services.retention). The lengths are checked by the service (MAX_OBJECTION_NAME …).
    name = EncryptedTextField(_("real name"), blank=True)
    contact = EncryptedTextField(_("contact"), blank=True, help_text=_("Telephone or address"))
    email = EncryptedTextField(_("e-mail address"), blank=True)
    personal_data_removed_at = models.DateTimeField(_("personal data removed at"), null=True, blank=True)
    grounds = models.TextField(_("grounds"))
    evidence = models.FileField(_("evidence file"), upload_to=objection_upload_to, blank=True, max_length=255)
    evidence_token = models.CharField(max_length=32, blank=True, editable=False)
    evidence_extension = models.CharField(max_length=8, blank=True, editable=False)
    evidence_name = models.CharField(_("file name"), max_length=255, blank=True)
    evidence_type = models.CharField(_("type"), max_length=100, blank=True)
    evidence_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    settlement = models.TextField(_("reasons of the settlement"), blank=True)
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("settled by"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["cycle", "filed_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status="open") | ~Q(settlement=""),
                                   name="%(app_label)s_%(class)s_settled_with_reasons",
                                   violation_error_message=_("Give the reasons of the settlement.")),
        ]

    def __str__(self):
        return self.receipt

    # What lists show: never the full value (张** / 138****5678 / c***@example.com).
    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_contact(self) -> str:
        return mask_contact(self.contact)

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)


class Disbursement(models.Model):
    """Money paid on an award, entered by the finance bureau's staff: the date and the payment's reference."""

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="disbursements", verbose_name=_("award"))
    amount = models.DecimalField(_("amount disbursed (yuan)"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("disbursement date"))
    reference = models.CharField(_("reference"), max_length=128, help_text=_("The payment's document or voucher number"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by"))
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["award", "paid_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="%(app_label)s_%(class)s_amount_positive",
                                   violation_error_message=_("A disbursement is more than zero.")),
        ]

    def __str__(self):
        return f"{self.award} · {self.amount} · {self.paid_on}"


class CycleReopening(models.Model):
    """An administrator's recorded decision to reopen a published cycle so that its decisions can change."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="reopenings", verbose_name=_("cycle"))
    reason = models.TextField(_("reason"))
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reopened by"))
    reopened_at = models.DateTimeField(_("reopened at"), auto_now_add=True)
    was_published_at = models.DateTimeField(_("had been published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reopening of a cycle")
        verbose_name_plural = _("reopenings of cycles")
        ordering = ["-reopened_at", "-id"]

    def __str__(self):
        return f"{self.cycle.year} · {self.reopened_at:%Y-%m-%d %H:%M}"


def bulletin_upload_to(instance, filename):
    return f"bulletins/{instance.cycle.year}/bulletin-{instance.cycle.year}-v{instance.version}.pdf"


def bulletin_ofd_upload_to(instance, filename):
    return f"bulletins/{instance.cycle.year}/bulletin-{instance.cycle.year}-v{instance.version}.ofd"


class Bulletin(models.Model):
    """A rendered bulletin (通报). Rendering again adds a version; earlier versions are kept."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RENDERING = "rendering", _("Rendering")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="bulletins", verbose_name=_("cycle"))
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(_("file"), upload_to=bulletin_upload_to, blank=True, max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    ofd_file = models.FileField(_("OFD file"), upload_to=bulletin_ofd_upload_to, blank=True, max_length=255)
    ofd_sha256 = models.CharField(_("SHA-256 of the OFD file"), max_length=64, blank=True)
    printed_on = models.DateField(_("printing date"), null=True, blank=True,
                                  help_text=_("The date of printing (印发) in the closing block; if empty, the date fixed for the "
                                              "cycle, else the signing date"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    # When a worker claimed the render (status "rendering"): a claim older than BULLETIN_STALE_RENDER_MINUTES
    # belongs to a process that died, and the render is taken up again.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["cycle", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "version"], name="%(app_label)s_%(class)s_unique_version",
                                    violation_error_message=_("This version of the bulletin already exists.")),
        ]

    def __str__(self):
        return f"{self.cycle.year} v{self.version}"

    @property
    def ready(self) -> bool:
        """Rendered: its files can be downloaded."""
        return self.status == self.Status.DONE

    @property
    def failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def finished(self) -> bool:
        """Nothing more will happen to this version: ready, or failed."""
        return self.ready or self.failed


class ListReading(models.Model):
    """A reviewer has read a list as it stands: set when they mark it read (one by one on the desk, or several at
    once from the queue). A list submitted again after the reading is unread again (``read_at`` older than its
    submission)."""

    nomination_list = models.ForeignKey("nominations.NominationList", on_delete=models.CASCADE, related_name="readings",
                                        verbose_name=_("list"))
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("reader"))
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("reading of a list")
        verbose_name_plural = _("readings of lists")
        constraints = [
            models.UniqueConstraint(fields=["reader", "nomination_list"], name="%(app_label)s_%(class)s_unique_reader",
                                    violation_error_message=_("This list is already marked read by this reviewer.")),
        ]

    def __str__(self):
        return f"{self.reader} · {self.nomination_list_id} · {self.read_at:%Y-%m-%d %H:%M}"


class StatisticsTally(models.Model):
    """A published year's counts behind the statistics page, written in the publication's transaction
    (``reviews.services.publication``) and removed when the year is reopened, so that the page reads a few rows
    per year instead of counting every award and list again. Per year: one ``year`` row (it says the year is
    tallied), one row per district and per measure (``first``: awards), one per owning bureau (``first``, ``second``,
    ``third``: lists on time, late, never submitted). A published year without its ``year`` row is counted when
    the page asks (``reviews.selectors.public.statistics``)."""

    class Kind(models.TextChoices):
        YEAR = "year", _("year tallied")
        DISTRICT = "district", _("awards of a district")
        MEASURE = "measure", _("awards of a measure")
        PUNCTUALITY = "punctuality", _("punctuality of a bureau")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="statistics_tallies",
                              verbose_name=_("cycle"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    subject_id = models.PositiveBigIntegerField(_("district, measure or bureau"), default=0)
    first = models.PositiveIntegerField(default=0)
    second = models.PositiveIntegerField(default=0)
    third = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("statistics tally")
        verbose_name_plural = _("statistics tallies")
        constraints = [models.UniqueConstraint(fields=["cycle", "kind", "subject_id"],
                                               name="reviews_statisticstally_unique")]

    def __str__(self):
        return f"{self.cycle_id} {self.kind} {self.subject_id}: {self.first} {self.second} {self.third}"


class KeptBody(models.Model):
    """A public page's body as its publication rendered it (``reviews.public_pages``): the statistics of a
    programme and a published year's results, per language and audience, under a key that changes with what they
    show. The shared cache holds the same bodies; this copy is what a visit finds when the cache has lost them (a
    restart, an eviction, its Redis down), so that no visit after a publication counts every award again. Written
    only by the warming that publication, reopening and the review of implementation rules queue; the rows of older
    versions are removed by the same warming."""

    key = models.CharField(_("key"), max_length=255, unique=True)
    value = models.JSONField(_("body"))
    made_at = models.DateTimeField(_("rendered at"), auto_now=True)

    class Meta:
        verbose_name = _("kept page body")
        verbose_name_plural = _("kept page bodies")

    def __str__(self):
        return self.key


# --- Screening (负面清单), the balance of the year's setting ------------------------------------------------------


class ScreeningEvent(models.Model):
    """A disqualifying event of one unit (负面清单): accountability, a major safety accident, a supervision finding
    not rectified, an audit problem … with the document it comes from and its dates. Entered by a reviewer of the
    unit's programme, or imported from a spreadsheet. A proposed awardee with an event in the evaluated year (the
    cycle's performance year: ``occurred_on``–``ended_on`` overlaps it) is flagged, and the public notice waits
    until each flag is settled (``ScreeningSettlement``)."""

    class Kind(models.TextChoices):
        ACCOUNTABILITY = "accountability", _("Accountability (问责)")
        SAFETY_ACCIDENT = "safety_accident", _("Major safety accident (重大安全事故)")
        UNRECTIFIED = "unrectified", _("Supervision finding not rectified (督查发现问题未整改)")
        AUDIT = "audit", _("Audit problem (审计问题)")
        OTHER = "other", _("Other")

    programme = models.ForeignKey("organisation.Programme", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("programme"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="screening_events", verbose_name=_("unit"))
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    source_document = models.CharField(_("source document"), max_length=255,
                                       help_text=_("The document that records the event, e.g. its number and title"))
    occurred_on = models.DateField(_("date of the event"))
    ended_on = models.DateField(_("lasted until"), null=True, blank=True,
                                help_text=_("Empty: a single day (a finding not rectified lasts until it is)"))
    description = models.TextField(_("description"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("screening event")
        verbose_name_plural = _("screening events")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["unit", "occurred_on"], name="reviews_screening_unit_date")]
        constraints = [
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("occurred_on")),
                                   name="%(app_label)s_%(class)s_dates_in_order",
                                   violation_error_message=_("An event cannot end before it occurred.")),
        ]

    def __str__(self):
        return f"{self.unit} · {self.get_kind_display()} · {self.occurred_on}"

    def in_year(self, year: int) -> bool:
        """Whether the event falls (in part) in the performance year ``year``."""
        return self.occurred_on.year <= year and (self.ended_on or self.occurred_on).year >= year


class ScreeningSettlement(models.Model):
    """A reviewer's settlement of one flag: a proposed awardee of a category in a cycle with a screening event in
    the evaluated year. Kept (the award stands, with the reason) or withdrawn (the award is withdrawn with the
    reason and its slot freed). The settlement stays when the award is gone: it is the dossier's record."""

    class Outcome(models.TextChoices):
        KEPT = "kept", _("Kept, with the reason")
        WITHDRAWN = "withdrawn", _("Award withdrawn")

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="screening_settlements",
                              verbose_name=_("cycle"))
    category = models.ForeignKey(IncentiveCategory, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("category"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    event = models.ForeignKey(ScreeningEvent, on_delete=models.PROTECT, related_name="settlements",
                              verbose_name=_("screening event"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    reason = models.TextField(_("reason"))
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("settled by"))
    settled_at = models.DateTimeField(_("settled at"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement of a screening flag")
        verbose_name_plural = _("settlements of screening flags")
        ordering = ["cycle", "category", "settled_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "category", "unit", "event"],
                                    name="%(app_label)s_%(class)s_unique_flag",
                                    violation_error_message=_("This flag is settled already.")),
            models.CheckConstraint(condition=~Q(reason=""), name="%(app_label)s_%(class)s_has_reason",
                                   violation_error_message=_("Give the reason of the settlement.")),
        ]

    def __str__(self):
        return f"{self.cycle.year} · {self.category.code} · {self.unit} · {self.get_outcome_display()}"


class BalanceSettings(models.Model):
    """What a programme wants flagged in the balance of the year (激励少数、培育多数). One row per programme, edited
    in the admin; the defaults apply while it has none."""

    programme = models.OneToOneField("organisation.Programme", on_delete=models.PROTECT,
                                     related_name="balance_settings", verbose_name=_("programme"))
    repeat_years = models.PositiveSmallIntegerField(
        _("flag a unit rewarded in the same category this many years running"), default=3,
        validators=[MinValueValidator(2), MaxValueValidator(10)],
        help_text=_("The balance of the year flags a proposed awardee rewarded in the same category in each of "
                    "this many years, this one included"))

    class Meta:
        verbose_name = _("balance settings")
        verbose_name_plural = _("balance settings")

    def __str__(self):
        return str(_("Balance settings"))

    @classmethod
    def current(cls, programme_id: int) -> "BalanceSettings":
        return cls.objects.filter(programme_id=programme_id).first() or cls(programme_id=programme_id)
class BulletinPrinting(models.Model):
    """The printing date the General Office fixed for a cycle's bulletin (…印发 in its closing block); without one,
    the bulletin prints its signing date. Kept beside the cycle (not a column of it), so that the migrations
    released before it, which read cycles, still run on an older database."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, primary_key=True, related_name="bulletin_printing",
                                 verbose_name=_("cycle"))
    printed_on = models.DateField(_("bulletin printing date"),
                                  help_text=_("The date the closing block (版记) prints: …印发. Empty: the signing date"))

    class Meta:
        verbose_name = _("bulletin printing date")
        verbose_name_plural = _("bulletin printing dates")

    def __str__(self):
        return f"{self.cycle} · {self.printed_on}"
