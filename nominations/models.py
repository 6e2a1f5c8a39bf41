"""The yearly cycle, the bureaus' ranked nomination lists, and the reminders that chase them."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from incentives import params
from incentives.files import StoredFile
from measures import limits
from measures.models import IncentiveCategory, PolicyDocument
from organisation.models import Bureau, Programme, Unit, default_programme_id

from .states import ListState

BEIJING = ZoneInfo("Asia/Shanghai")


class Cycle(models.Model):
    """One year of the programme: the performance year assessed, the deadline, the catalogue used."""

    class State(models.TextChoices):
        # The stored states; the phases people see (with "closed", derived from the deadlines) and the
        # transitions between them are nominations.phases'.
        OPEN = "open", _("Open")
        REVIEW = "review", _("Under review")
        NOTICE = "notice", _("Public notice")
        PUBLISHED = "published", _("Published")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="cycles",
                                  verbose_name=_("programme"), editable=False,
                                  help_text=_("Its policy document's programme"))
    year = models.PositiveSmallIntegerField(_("performance year"))
    document = models.ForeignKey(PolicyDocument, on_delete=models.PROTECT, related_name="cycles", verbose_name=_("policy document"))
    opens_at = models.DateTimeField(_("opens at"))
    deadline = models.DateTimeField(_("deadline"), help_text=_("Exact to the second, Beijing time"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("published by"))
    bulletin_number = models.CharField(_("bulletin document number"), max_length=64, blank=True,
                                       help_text=_("e.g. 穗府办〔2026〕13号"))
    notice_working_days = models.PositiveSmallIntegerField(
        _("public notice period (working days)"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("How many working days the proposed awardees stay on public notice (公示)"))
    notice_starts_on = models.DateField(_("public notice starts on"), null=True, blank=True)
    notice_ends_on = models.DateField(_("public notice ends on"), null=True, blank=True,
                                      help_text=_("Objections are taken until 23:59:59 of this day, Beijing time"))
    # The policy document as it read when the cycle was published (frozen: a later import never changes a
    # published year).
    published_document_title = models.CharField(_("policy document title at publication"), max_length=255,
                                                blank=True)
    published_document_number = models.CharField(_("policy document number at publication"), max_length=64,
                                                 blank=True)

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gt=models.F("opens_at")), name="%(app_label)s_%(class)s_deadline_after_opening",
                                   violation_error_message=_("The deadline must come after the opening.")),
            models.UniqueConstraint(fields=["programme", "year"], name="%(app_label)s_%(class)s_unique_year",
                                    violation_error_message=_("This programme already has a cycle for this year.")),
            models.UniqueConstraint(fields=["programme", "bulletin_number"], condition=~Q(bulletin_number=""),
                                    name="%(app_label)s_%(class)s_unique_bulletin_number",
                                    violation_error_message=_("Another cycle's bulletin has this document number.")),
        ]

    def __str__(self):
        return _("%(year)s cycle") % {"year": self.year}

    def save(self, *args, **kwargs):
        # A cycle belongs to its policy document's programme.
        if self.document_id and (self.programme_id is None or self._state.adding):
            self.programme_id = PolicyDocument.objects.values_list("programme_id", flat=True).get(pk=self.document_id)
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        """A fact for what a page shows (the frozen titles, the public bulletin), never a rule of what may change:
        that is ``nominations.phases.PHASE_CHANGES``."""
        return self.state == self.State.PUBLISHED


class Extension(models.Model):
    """The General Office's recorded decision to give one bureau a later deadline in one cycle."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("cycle"))
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="extensions", verbose_name=_("bureau"))
    new_deadline = models.DateTimeField(_("new deadline"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("granted by"))
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "bureau"], name="%(app_label)s_%(class)s_unique_bureau",
                                    violation_error_message=_("This bureau already has an extension in this cycle.")),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.bureau} → {timezone.localtime(self.new_deadline, BEIJING):%Y-%m-%d %H:%M:%S}"


class NominationList(models.Model):
    """A bureau's ranked list of proposed awardees for one category in one cycle."""

    State = ListState  # the states and their transitions: nominations.states

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="lists", verbose_name=_("cycle"))
    category = models.ForeignKey(IncentiveCategory, on_delete=models.PROTECT, related_name="lists", verbose_name=_("category"))
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="lists", verbose_name=_("bureau"),
                               help_text=_("The bureau that prepares the list"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True)
    nothing_to_propose = models.BooleanField(_("nobody to propose"), default=False)
    nothing_reason = models.TextField(_("why nobody is proposed"), blank=True)
    return_reason = models.TextField(_("reasons for return"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, help_text=_("Raised at every save; a stale save is refused"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                     verbose_name=_("submitted by"))
    # The leader's sign-off (签发) where the programme requires it: who signed the list off, when; or why they
    # sent it back (kept until the next sign-off, shown to the clerk).
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                                      blank=True, verbose_name=_("signed off by"))
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    sign_off_reason = models.TextField(_("why the leader sent it back"), blank=True)

    class Meta:
        verbose_name = _("nomination list")
        verbose_name_plural = _("nomination lists")
        ordering = ["cycle", "category"]
        # The admin's order (the newest year first, then the catalogue's): an index in that order lets a page of
        # it be read without sorting a province's lists (SQLite cannot walk the unique index backwards for one
        # column only).
        indexes = [
            models.Index(fields=["-cycle", "category"], name="nominations_list_admin_order"),
            # The lists of a cycle in one state, those submitted longest ago first: the reviewer's desk reads the
            # first five submitted of a province's 3,000 without sorting them all.
            models.Index(fields=["cycle", "state", "submitted_at", "id"], name="nominations_list_cycle_state"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "category"], name="%(app_label)s_%(class)s_unique_category",
                                    violation_error_message=_("This category already has a list in this cycle.")),
            models.CheckConstraint(condition=Q(nothing_to_propose=False) | ~Q(nothing_reason=""),
                                   name="%(app_label)s_%(class)s_nothing_has_reason",
                                   violation_error_message=_("Say why nobody is proposed.")),
        ]

    def __str__(self):
        return gettext("%(year)s list of “%(category)s”") % {"year": self.cycle.year, "category": self.category}

    @property
    def shows_return_reason(self) -> bool:
        """The list came back for correction and the General Office's reasons are to be read on it."""
        return self.state == self.State.RETURNED and bool(self.return_reason)

    @property
    def shows_decisions(self) -> bool:
        """The General Office has decided the list: its 同意/不同意 and reasons are to be read on it."""
        return self.state == self.State.DECIDED

    @property
    def shows_sign_off_reason(self) -> bool:
        """The bureau's leader sent the list back and their reasons are to be read on it."""
        return self.state == self.State.DRAFT and bool(self.sign_off_reason)


class Nominee(models.Model):
    """One proposed unit in a list, at its rank, with what it achieved."""

    nomination_list = models.ForeignKey(NominationList, on_delete=models.CASCADE, related_name="nominees", verbose_name=_("list"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="nominations", verbose_name=_("unit"))
    rank = models.PositiveSmallIntegerField(_("rank"))
    achievements = models.TextField(_("achievements and results"))
    figures = models.TextField(_("figures"), blank=True, help_text=_("Indicators and their values, where the measure has them"))
    # Where the category's ranking (evaluation) put the unit when the list was saved, and why the list departs
    # from the ranking at this rank (empty when it follows it).
    ranking_position = models.PositiveSmallIntegerField(_("position in the ranking"), null=True, blank=True)
    departure_reason = models.TextField(_("why the list departs from the ranking here"), blank=True)

    class Meta:
        verbose_name = _("nominee")
        verbose_name_plural = _("nominees")
        ordering = ["nomination_list", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["nomination_list", "unit"], name="%(app_label)s_%(class)s_unique_unit",
                                    violation_error_message=_("This unit is already in the list.")),
            models.UniqueConstraint(fields=["nomination_list", "rank"], name="%(app_label)s_%(class)s_unique_rank",
                                    violation_error_message=_("Two nominees cannot share a rank.")),
            # Ranks from 1; the limit in force for the year (measures.limits.list_length) is checked by the
            # service: a selection's list holds at most its limit, an entitlement's every qualifying unit.
            models.CheckConstraint(condition=Q(rank__gte=1), name="%(app_label)s_%(class)s_rank_positive",
                                   violation_error_message=_("A nominee's rank is 1 or more.")),
        ]

    def __str__(self):
        return f"{self.rank}. {self.unit}"


class CapExceptionRequest(models.Model):
    """A bureau's request, from its list, for more awardees than the cap (申请突破名额): how many and why.
    The General Office grants it (recording the exception, ``measures.CapException``) or refuses it."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the General Office")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    nomination_list = models.ForeignKey(NominationList, on_delete=models.CASCADE, related_name="exception_requests",
                                        verbose_name=_("list"))
    requested_limit = models.PositiveSmallIntegerField(_("awardees asked for"))
    reason = models.TextField(_("why"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by"))
    requested_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    granted_limit = models.PositiveSmallIntegerField(_("limit granted"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons of the decision"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("request for an exception to the cap")
        verbose_name_plural = _("requests for exceptions to the cap")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["nomination_list"], condition=Q(state="pending"),
                                    name="%(app_label)s_%(class)s_one_pending",
                                    violation_error_message=_("This list already has a request waiting for a decision.")),
            models.CheckConstraint(condition=Q(requested_limit__gt=1) & Q(requested_limit__lte=limits.ABSOLUTE_MAXIMUM),
                                   name="%(app_label)s_%(class)s_limit_range",
                                   violation_error_message=_("The number asked for is between 2 and 10.")),
            models.CheckConstraint(condition=Q(state="pending") | ~Q(decision_reason=""),
                                   name="%(app_label)s_%(class)s_decision_has_reason",
                                   violation_error_message=_("Give the reasons of the decision.")),
        ]

    def __str__(self):
        return gettext("%(list)s: %(limit)s awardees asked for") % {"list": self.nomination_list,
                                                                  "limit": self.requested_limit}


def evidence_upload_to(instance, filename):
    # Kept for the migrations that name it; the field now uses incentives.files.stored_file_upload_to.
    return f"{instance.upload_directory()}/{instance.token}{instance.extension}"


class Evidence(StoredFile):
    nominee = models.ForeignKey(Nominee, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("nominee"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name

    def upload_directory(self) -> str:
        # The stored name is generated; the person's file name is kept only as data (original_name).
        return f"evidence/{self.nominee.nomination_list.cycle.year}"


class ListComment(models.Model):
    """A co-responsible bureau's (or the lead's) remark on a list. Comments never change the list."""

    nomination_list = models.ForeignKey(NominationList, on_delete=models.CASCADE, related_name="comments", verbose_name=_("list"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("bureau"))
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.author}: {self.text[:40]}"


# --- Reminders (planned in nominations.reminders, sent through the outbox of organisation.outbox) -----------

DEFAULT_REMINDER_OFFSETS = "30,14,7,3,1,0"


def parse_offsets(raw: str) -> list[int]:
    """'30, 14,7,3,1,0' → [30, 14, 7, 3, 1, 0] (days before the deadline, largest first, no repeats)."""
    values = set()
    for part in (raw or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        days = params.int_from(part, maximum=366)
        if days is None:
            raise ValidationError(_("%(value)s is not a number of days between 0 and 366.") % {"value": part})
        values.add(days)
    if not values:
        raise ValidationError(_("Give at least one number of days."))
    return sorted(values, reverse=True)


class ReminderSettings(models.Model):
    """When reminders go out in a programme. One row per programme, edited in the admin; the defaults apply while
    it does not exist."""

    programme = models.OneToOneField(Programme, on_delete=models.PROTECT, default=default_programme_id,
                                     related_name="reminder_settings", verbose_name=_("programme"))
    offsets = models.CharField(
        _("reminder days before the deadline"), max_length=128, default=DEFAULT_REMINDER_OFFSETS,
        help_text=_("Comma-separated numbers of days before the deadline; 0 is the day of the deadline."),
    )
    send_from_hour = models.PositiveSmallIntegerField(
        _("send from (hour, Beijing time)"), default=8,
        help_text=_("Nothing is sent earlier in the day; a sweep before this hour waits for the next one."),
    )
    overdue_notice = models.BooleanField(_("send an overdue notice after the deadline"), default=True)
    escalation_days = models.PositiveSmallIntegerField(
        _("days after the deadline the bureau's leader is told"), default=1,
        help_text=_("The last step of the reminders: this many days after its deadline, the leader contact of a bureau "
                    "that still owes a list is told (once). 0: never."))
    warning_working_days = models.PositiveSmallIntegerField(
        _("yellow light from (working days before the deadline)"), default=5,
        help_text=_("Deadline lights: green until this many working days before the deadline, yellow from then, "
                    "red once it has passed."))
    reviewer_digest = models.BooleanField(_("send reviewers a daily digest"), default=True)
    max_attempts = models.PositiveSmallIntegerField(_("attempts before a send is marked failed"), default=5)

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")
        constraints = [
            models.CheckConstraint(condition=Q(send_from_hour__lte=23), name="%(app_label)s_%(class)s_hour_range",
                                   violation_error_message=_("The hour is between 0 and 23.")),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="%(app_label)s_%(class)s_attempts_positive",
                                   violation_error_message=_("At least one attempt.")),
        ]

    def __str__(self):
        return str(_("Reminder settings"))

    def clean(self):
        try:
            self.offsets = ",".join(str(days) for days in parse_offsets(self.offsets))
        except ValidationError as error:
            raise ValidationError({"offsets": error.messages}) from None

    @property
    def offset_list(self) -> list[int]:
        return parse_offsets(self.offsets)

    @classmethod
    def current(cls, programme: Programme | None = None) -> "ReminderSettings":
        """The settings of ``programme`` (the default programme's when none is given), unsaved defaults while it
        has no row."""
        programme_id = programme.pk if programme is not None else default_programme_id()
        return cls.objects.filter(programme_id=programme_id).first() or cls(programme_id=programme_id)


class ReminderKind(models.TextChoices):
    DEADLINE = "deadline", _("Deadline reminder")
    OVERDUE = "overdue", _("Overdue notice")
    RETURNED = "returned", _("List returned for correction")
    DIGEST = "digest", _("Reviewers' daily digest")
    EXCEPTION = "exception", _("Exception to the cap decided")
    RULES_DUE = "rules_due", _("Implementation rules due")
    RULES_DECIDED = "rules_decided", _("Implementation rules reviewed")
    COMMENTED = "commented", _("Comment on a list")
    DECIDED = "decided", _("List decided")
    PUBLISHED = "published", _("Results published")
    SIGN_OFF = "sign_off", _("List to sign off")
    SIGN_OFF_DECLINED = "sign_off_back", _("List sent back by the leader")
    ESCALATION = "escalation", _("Overdue lists told to the bureau's leader")
    WAITING = "waiting", _("New work waiting for reviewers")
    NOTICE = "notice", _("Public notice started")
    FINAL = "final", _("Results announced")
    OBJECTION = "objection", _("Objection settled (to the objector)")
    AWARD_WITHDRAWN = "award_withdrawn", _("Proposed award withdrawn after an objection")


# The messages the reminders and the bureaus' letters send (counted by the metric of reminder deliveries): every kind
# but the announcements of a year's phases, the letters to objectors and the reviewers' notices of new work.
REMINDER_KINDS = [kind for kind in ReminderKind.values if kind not in (
    ReminderKind.WAITING, ReminderKind.NOTICE, ReminderKind.FINAL, ReminderKind.OBJECTION, ReminderKind.AWARD_WITHDRAWN)]


class ReminderTemplate(models.Model):
    """The wording of one kind of message, editable without code. Subject and body are Django templates.

    Without a row for a kind, the files ``templates/emails/<kind>_subject.txt`` and ``<kind>.txt`` are used.
    The HTML part is the same text laid out by ``templates/emails/message.html``.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ReminderKind.choices, unique=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"), help_text=_(
        "Django template. Available: recipient, cycle, category, bureau, deadline, days_left, days_overdue, "
        "url, return_reason, lists (digest), count (digest), categories and count (reminders: every category the "
        "bureau owes), author and text (comment), outcomes (decision)."))
    is_active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind"]

    def __str__(self):
        return self.get_kind_display()
