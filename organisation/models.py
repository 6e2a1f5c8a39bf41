"""The organisation shared by every app: bureaus, nominee units and their kinds, memberships, the audit trail,
and the messages sent to people (the e-mail outbox and the in-app notifications)."""

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
    other_kinds = models.ManyToManyField(
        UnitKind, related_name="units_also", blank=True, verbose_name=_("also of the kinds"),
        help_text=_("Other kinds the unit also is: a hospital that is also a 定点医疗机构, a 市属国有企业 also an 企业"),
    )
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

    def kind_codes(self) -> set[str]:
        """Every kind the unit is: its main kind and the others (prefetch ``other_kinds`` to save the query)."""
        return {self.kind_id, *(kind.pk for kind in self.other_kinds.all())}


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


class AuditAction(models.TextChoices):
    # the catalogue and the organisation
    CATALOGUE_IMPORTED = "catalogue.imported", _("Catalogue imported")
    BUREAU_IMPORTED = "bureau.imported", _("Bureaus imported")
    UNITS_IMPORTED = "units.imported", _("Units imported")
    USER_IMPORTED = "user.imported", _("Accounts imported")
    MEMBERSHIP_ADDED = "membership.added", _("Bureau membership added")
    MEMBERSHIP_REMOVED = "membership.removed", _("Bureau membership removed")
    ROLES_CHANGED = "user.roles_changed", _("Roles changed")
    RESPONSIBILITY_SAVED = "responsibility.saved", _("Responsibility saved")
    RESPONSIBILITY_REMOVED = "responsibility.removed", _("Responsibility removed")
    CATEGORY_CAP_CHANGED = "category.cap_changed", _("Category's cap changed")
    # the year
    CYCLE_OPENED = "cycle.opened", _("Cycle opened")
    CYCLE_DATES_CHANGED = "cycle.dates_changed", _("Cycle's dates changed")
    CYCLE_PUBLISHED = "cycle.published", _("Cycle published")
    CYCLE_REOPENED = "cycle.reopened", _("Cycle reopened")
    CYCLE_REVIEW_BEGUN = "cycle.review_begun", _("Review begun")
    CYCLE_NOTICE_STARTED = "cycle.notice_started", _("Put on public notice")
    MISSING_LIST_ACKNOWLEDGED = "missing_list.acknowledged", _("Category without a list acknowledged")
    OBJECTION_FILED = "objection.filed", _("Objection filed")
    OBJECTION_DISMISSED = "objection.dismissed", _("Objection dismissed")
    OBJECTION_UPHELD = "objection.upheld", _("Objection upheld")
    AWARD_WITHDRAWN = "award.withdrawn", _("Award withdrawn")
    EXTENSION_GRANTED = "extension.granted", _("Deadline extended")
    # a nomination list
    LIST_CREATED = "nomination_list.created", _("Created")
    LIST_SAVED = "nomination_list.saved", _("Edited")
    LIST_SUBMITTED = "nomination_list.submitted", _("Submitted")
    LIST_RESUBMITTED = "nomination_list.resubmitted", _("Resubmitted")
    LIST_WITHDRAWN = "nomination_list.withdrawn", _("Withdrawn")
    LIST_RETURNED = "nomination_list.returned", _("Returned for correction")
    LIST_DECIDED = "nomination_list.decided", _("Decided")
    LIST_COMMENTED = "nomination_list.commented", _("Commented")
    # the review
    NOMINEE_APPROVED = "nominee.approved", _("Nominee approved")
    NOMINEE_REJECTED = "nominee.rejected", _("Nominee not approved")
    CAP_EXCEPTION_RECORDED = "cap_exception.recorded", _("Exception to the cap recorded")
    CAP_EXCEPTION_WITHDRAWN = "cap_exception.withdrawn", _("Exception to the cap withdrawn")
    CAP_EXCEPTION_REQUESTED = "cap_exception_request.requested", _("Exception to the cap requested")
    CAP_EXCEPTION_GRANTED = "cap_exception_request.granted", _("Requested exception to the cap granted")
    CAP_EXCEPTION_REFUSED = "cap_exception_request.refused", _("Requested exception to the cap refused")
    HIGHER_AWARD_RECORDED = "higher_award.recorded", _("Higher-level incentive registered")
    HIGHER_AWARD_CONFIRMED = "higher_award.confirmed", _("Higher-level incentive confirmed")
    AWARD_AMOUNT_SET = "award.amount_set", _("Award's amount set")
    DISBURSEMENT_RECORDED = "disbursement.recorded", _("Disbursement recorded")
    RULES_FILED = "implementation_rules.filed", _("Implementation rules filed")
    RULES_ACCEPTED = "implementation_rules.accepted", _("Implementation rules accepted")
    RULES_RETURNED = "implementation_rules.returned", _("Implementation rules sent back")
    LIST_MARKED_READ = "nomination_list.marked_read", _("Marked read by the reviewer")
    LATE_BUREAUS_REMINDED = "cycle.late_bureaus_reminded", _("Late bureaus reminded")
    QUEUE_EXPORTED = "cycle.queue_exported", _("Review queue exported")
    BULLETIN_REQUESTED = "bulletin.requested", _("Bulletin requested")
    BULLETIN_RENDERED = "bulletin.rendered", _("Bulletin rendered")
    BULLETIN_FAILED = "bulletin.failed", _("Bulletin rendering failed")
    BULLETIN_NUMBER_CHANGED = "cycle.bulletin_number_changed", _("Bulletin's document number changed")
    # messages
    MESSAGE_RETRIED = "message.retried", _("E-mail sent again")
    # accounts and security (三员分立, second factor, sessions; security/)
    SIGNED_IN = "account.signed_in", _("Signed in")
    SIGNED_OUT = "account.signed_out", _("Signed out")
    SESSION_EXPIRED = "account.session_expired", _("Session expired")
    SIGN_IN_FAILED = "account.sign_in_failed", _("Sign-in failed")
    LOCKED_OUT = "account.locked_out", _("Locked out")
    PASSWORD_CHANGED = "account.password_changed", _("Password changed")
    PASSWORD_SET = "account.password_set", _("Password set by an administrator")
    OTP_ENROLLED = "account.otp_enrolled", _("Authenticator set up")
    OTP_VERIFIED = "account.otp_verified", _("Second factor verified")
    OTP_FAILED = "account.otp_failed", _("Second factor failed")
    RECOVERY_CODES_GENERATED = "account.recovery_codes_generated", _("Recovery codes generated")
    OTP_DEVICE_DELETED = "otp_device.deleted", _("Second-factor device deleted")
    ROLE_GRANTED = "account.role_granted", _("Role granted")
    ROLE_REVOKED = "account.role_revoked", _("Role withdrawn")
    PERMISSIONS_CHANGED = "account.permissions_changed", _("Personal permissions changed")
    ROLE_PERMISSIONS_CHANGED = "role.permissions_changed", _("Role's permissions changed")
    OBJECT_PERMISSION_GRANTED = "account.object_permission_granted", _("Category right granted")
    OBJECT_PERMISSION_REVOKED = "account.object_permission_revoked", _("Category right withdrawn")
    AUDIT_ARCHIVED = "audit.archived", _("Audit records archived")
    AUDIT_EXPORTED = "audit.exported", _("Audit records exported")
    INVITED = "account.invited", _("Invitation sent")
    INVITATION_ACCEPTED = "account.invitation_accepted", _("Password chosen from an invitation")


class AuditEntry(models.Model):
    """Who did what, when, to which object. Written in the same transaction as the change it records."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    action = models.CharField(_("action"), max_length=64, choices=AuditAction.choices, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("object type"))
    target_id = models.PositiveBigIntegerField(_("object id"))
    target_repr = models.CharField(_("object"), max_length=255)
    message = models.TextField(_("details"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-at"], name="organisation_audit_target_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.get_action_display()} {self.target_repr}"


class OutboxMessage(models.Model):
    """One e-mail to one person, recorded before it is sent (the outbox; see ``organisation.outbox``).

    The outbox knows nothing of what a message is about: the caller gives it a ``key`` that names the message
    (e.g. which reminder of which list for whom), unique, so recording the same message twice (a sweep that
    runs twice, two schedulers, a retried task) finds the row already there. A sender claims a row by moving it
    from pending to sending in one conditional UPDATE; only the sender that wins the claim sends.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("No e-mail address")

    key = models.CharField(_("key"), max_length=200, unique=True, help_text=_("What the message is, for whom: recorded once"))
    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outbox_messages",
                                  null=True, blank=True, verbose_name=_("recipient"),
                                  help_text=_("Empty for someone without an account (an objector to a public notice)"))
    email = models.EmailField(_("e-mail address"), blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    url = models.CharField(_("link"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts before giving up"), default=5)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="%(app_label)s_%(class)s_attempts_positive",
                                   violation_error_message=_("At least one attempt.")),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="organisation_outbox_due_idx")]

    def __str__(self):
        return f"{self.subject} · {self.recipient or self.email}"


class Notification(models.Model):
    """What a person sees in the application: one per e-mail of the outbox, plus anything else worth telling them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                             verbose_name=_("user"))
    message = models.OneToOneField(OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="notification", verbose_name=_("e-mail"))
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="organisation_notif_user_idx")]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
