"""The organisation shared by every app: bureaus, nominee units and their kinds, memberships, the audit trail."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Bureau(models.Model):
    """A municipal bureau (市有关部门) as the notices write it, with its official full name."""

    short_name = models.CharField(_("short name"), max_length=64, unique=True, help_text=_("As the notice writes it, e.g. 市水务局"))
    full_name = models.CharField(_("full name"), max_length=128, unique=True)
    full_name_confirmed = models.BooleanField(_("full name confirmed"), default=True)
    order = models.PositiveIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Object permissions are granted to this group; membership in the bureau is membership in the group.
    group = models.OneToOneField(Group, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="bureau")

    class Meta:
        verbose_name = _("bureau")
        verbose_name_plural = _("bureaus")
        ordering = ["order", "short_name"]

    def __str__(self):
        return self.short_name

    @property
    def bare_name(self) -> str:
        """The short name without its 市 prefix (财政局), as notices write a second bureau in a list."""
        return self.short_name[1:] if self.short_name.startswith("市") else self.short_name


class UnitKind(models.Model):
    """A kind of incentive subject (激励对象): district, street or town, hospital, bank, enterprise …"""

    DISTRICT = "district"
    STREET = "street"
    DISPATCHED_AGENCY = "dispatched_agency"
    HOSPITAL = "hospital"
    INSURANCE_BANK = "insurance_bank"
    MEDICAL_INSTITUTION = "medical_institution"
    RULE_OF_LAW_UNIT = "rule_of_law_unit"
    LEGAL_SERVICE = "legal_service"
    STATE_ENTERPRISE = "state_enterprise"
    ENTERPRISE = "enterprise"
    INNOVATION_PLATFORM = "innovation_platform"
    MUNICIPAL_DEPARTMENT = "municipal_department"

    code = models.SlugField(_("code"), max_length=32, primary_key=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    order = models.PositiveIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("unit kind")
        verbose_name_plural = _("unit kinds")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class Unit(models.Model):
    """A unit that can be nominated: a district, a street or town under a district, a hospital, a bank …

    ``division_order`` is the official administrative-division order (越秀区 first … 增城区 last for the
    districts); streets sort under their district, other units after the districts.
    """

    name = models.CharField(_("name"), max_length=128)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    kind = models.ForeignKey(UnitKind, on_delete=models.PROTECT, related_name="units", verbose_name=_("kind"))
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("district"), help_text=_("For a street or town: the district it belongs to"),
    )
    division_order = models.PositiveIntegerField(_("administrative order"), default=1000)
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Merged or dissolved units stay for history"))
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("merged into"),
    )

    class Meta:
        verbose_name = _("nominee unit")
        verbose_name_plural = _("nominee units")
        ordering = ["division_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name", "parent"], name="%(app_label)s_%(class)s_unique_name",
                                    violation_error_message=_("A unit of this kind with this name already exists here.")),
            models.UniqueConstraint(fields=["kind", "name"], condition=Q(parent__isnull=True),
                                    name="%(app_label)s_%(class)s_unique_top_name",
                                    violation_error_message=_("A unit of this kind with this name already exists.")),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="%(app_label)s_%(class)s_not_own_parent",
                                   violation_error_message=_("A unit cannot be its own district.")),
        ]
        indexes = [models.Index(fields=["kind", "is_active"])]

    def __str__(self):
        if self.parent_id and self.kind_id == UnitKind.STREET:
            return f"{self.parent.name}{self.name}"
        return self.name

    @property
    def display_name(self) -> str:
        return self.full_name or str(self)


class Membership(models.Model):
    """A person belongs to a bureau. A person may belong to more than one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("bureau"))
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("bureau membership")
        verbose_name_plural = _("bureau memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "bureau"], name="%(app_label)s_%(class)s_unique_user_bureau",
                                    violation_error_message=_("This person already belongs to this bureau.")),
        ]

    def __str__(self):
        return f"{self.user} @ {self.bureau}"


class AuditEntry(models.Model):
    """Who did what, when, to which object. Written in the same transaction as the change it records."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("object type"))
    target_id = models.PositiveBigIntegerField(_("object id"))
    target_repr = models.CharField(_("object"), max_length=255)
    message = models.TextField(_("details"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-at"], name="incentives_audit_target_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target_repr}"


# ---------------------------------------------------------------------------------------------------------------
# Reminders and in-app notifications (see incentives/notifications.py)
# ---------------------------------------------------------------------------------------------------------------

DEFAULT_REMINDER_OFFSETS = "30,14,7,3,1,0"


def parse_offsets(raw: str) -> list[int]:
    """'30, 14,7,3,1,0' → [30, 14, 7, 3, 1, 0] (days before the deadline, largest first, no repeats)."""
    from django.core.exceptions import ValidationError

    values = set()
    for part in (raw or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) > 366:
            raise ValidationError(_("%(value)s is not a number of days between 0 and 366.") % {"value": part})
        values.add(int(part))
    if not values:
        raise ValidationError(_("Give at least one number of days."))
    return sorted(values, reverse=True)


class ReminderSettings(models.Model):
    """When reminders go out. One row (pk 1), edited in the admin; the defaults apply while it does not exist."""

    offsets = models.CharField(
        _("reminder days before the deadline"), max_length=128, default=DEFAULT_REMINDER_OFFSETS,
        help_text=_("Comma-separated numbers of days before the deadline; 0 is the day of the deadline."),
    )
    send_from_hour = models.PositiveSmallIntegerField(
        _("send from (hour, Beijing time)"), default=8,
        help_text=_("Nothing is sent earlier in the day; a sweep before this hour waits for the next one."),
    )
    overdue_notice = models.BooleanField(_("send an overdue notice after the deadline"), default=True)
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
        from django.core.exceptions import ValidationError

        try:
            self.offsets = ",".join(str(days) for days in parse_offsets(self.offsets))
        except ValidationError as error:
            raise ValidationError({"offsets": error.messages}) from None

    @property
    def offset_list(self) -> list[int]:
        return parse_offsets(self.offsets)

    @classmethod
    def current(cls) -> "ReminderSettings":
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class ReminderKind(models.TextChoices):
    DEADLINE = "deadline", _("Deadline reminder")
    OVERDUE = "overdue", _("Overdue notice")
    RETURNED = "returned", _("List returned for correction")
    DIGEST = "digest", _("Reviewers' daily digest")


class ReminderTemplate(models.Model):
    """The wording of one kind of message, editable without code. Subject and body are Django templates.

    Without a row for a kind, the files ``templates/emails/<kind>_subject.txt`` and ``<kind>.txt`` are used.
    The HTML part is the same text laid out by ``templates/emails/message.html``.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ReminderKind.choices, unique=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"), help_text=_(
        "Django template. Available: recipient, cycle, category, bureau, deadline, days_left, days_overdue, "
        "url, return_reason, lists (digest), count (digest)."))
    is_active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind"]

    def __str__(self):
        return self.get_kind_display()


class ReminderDelivery(models.Model):
    """One message to one person, recorded before it is sent.

    The key (cycle, category, kind, offset, recipient) is unique, so a sweep that runs twice, two schedulers
    or a retried task find the row already there and never create a second message. ``category`` stands for
    the category's list (one list per category and cycle), which may not exist yet when the bureau has not
    started. The reviewers' digest has no category: its own constraint makes it unique per day (its offset is
    the number of days to the deadline on that day). A sender claims a row by moving it from pending to
    sending in one conditional UPDATE; only the sender that wins the claim sends.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("No e-mail address")

    cycle = models.ForeignKey("nominations.Cycle", on_delete=models.CASCADE, related_name="reminders", verbose_name=_("cycle"))
    category = models.ForeignKey("measures.IncentiveCategory", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="+", verbose_name=_("category"))
    nomination_list = models.ForeignKey("nominations.NominationList", on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+", verbose_name=_("list"))
    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("bureau"))
    kind = models.CharField(_("kind"), max_length=16, choices=ReminderKind.choices)
    offset = models.IntegerField(_("offset (days)"), help_text=_(
        "Deadline reminder: days before the deadline. Returned: the return's number. Digest: days to the deadline that day."))
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders",
                                  verbose_name=_("recipient"))
    email = models.EmailField(_("e-mail address"), blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    url = models.CharField(_("link"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder delivery")
        verbose_name_plural = _("reminder deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "category", "kind", "offset", "recipient"],
                                    condition=Q(category__isnull=False), name="%(app_label)s_%(class)s_unique_key",
                                    violation_error_message=_("This reminder was already recorded.")),
            # NULLs are distinct in a unique index: the digest (no category) needs its own partial constraint.
            models.UniqueConstraint(fields=["cycle", "kind", "offset", "recipient"], condition=Q(category__isnull=True),
                                    name="%(app_label)s_%(class)s_unique_digest_key",
                                    violation_error_message=_("This digest was already recorded.")),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="incentives_reminder_due_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.recipient} · {self.offset}"


class Notification(models.Model):
    """What a person sees in the application: one per reminder, plus anything else worth telling them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                             verbose_name=_("user"))
    delivery = models.OneToOneField(ReminderDelivery, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="notification", verbose_name=_("reminder"))
    kind = models.CharField(_("kind"), max_length=16, choices=ReminderKind.choices)
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="incentives_notif_user_idx")]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
