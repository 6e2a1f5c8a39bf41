"""The organisation shared by every app: bureaus, nominee units and their kinds, memberships, the audit trail,
and the messages sent to people (the e-mail outbox and the in-app notifications)."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incentives.crypto import mask_email


class ProgrammeQuerySet(models.QuerySet):
    def default(self) -> "Programme":
        """The default programme (Guangzhou's unless changed): created on first use in an empty database."""
        programme = self.filter(is_default=True).first()
        if programme is None:
            programme, _created = self.get_or_create(code=GUANGZHOU["code"], defaults={**GUANGZHOU, "is_default": True})
        return programme


# Guangzhou's programme, set up by 穗府办〔2022〕30号: the default of every deployment.
GUANGZHOU = {
    "code": "guangzhou",
    "name": "广州市督查激励",
    "government": "广州市人民政府",
    "level": "city",
    "general_office": "广州市人民政府办公厅",
    "bureau_prefix": "市",
    "place_name": "广州市",
    "issuer_mark": "广州市人民政府办公厅文件",
    "number_prefix": "穗府办",
    "addressees": "各区人民政府，市政府各部门、各直属机构",
    "copies_to": "市委各部门，市人大常委会办公厅，市政协办公厅，市纪委监委，广州警备区，市法院，市检察院，各人民团体。",
    "printing_office": "广州市人民政府办公厅秘书处",
    "bulletin_procedure": "经市有关部门推荐、市政府办公厅审核，并报市人民政府同意",
    "bulletin_closing": ("希望受到通报表扬的单位珍惜荣誉、再接再厉，在新的起点上取得更大成绩。各区、各部门要以受到督查激励的单位为榜样，"
                         "进一步强化责任担当，真抓实干、奋发有为，推动各项决策部署落地见效，为广州实现老城市新活力、“四个出新出彩”作出新的"
                         "更大贡献。"),
}


class Programme(models.Model):
    """A government's 督查激励 programme: the root every bureau, unit, policy document and cycle belongs to.

    The bulletin's fixed texts (issuer mark, document-number prefix, addressees, 抄送, printing office) are the
    programme's. Exactly one programme is the default: today's URLs without a programme code are its."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("National")
        PROVINCIAL = "provincial", _("Provincial")
        CITY = "city", _("City")
        DISTRICT = "district", _("District")

    code = models.SlugField(_("code"), max_length=32, unique=True, help_text=_("In URLs and commands, e.g. guangzhou"))
    name = models.CharField(_("name"), max_length=64, help_text=_("e.g. 广州市督查激励"))
    government = models.CharField(_("government"), max_length=64, help_text=_("e.g. 广州市人民政府"))
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    general_office = models.CharField(_("general office"), max_length=64, help_text=_("e.g. 广州市人民政府办公厅"))
    bureau_prefix = models.CharField(_("prefix of its bureaus"), max_length=4, blank=True,
                                     help_text=_("市, 省 or 区; empty for ministries"))
    place_name = models.CharField(_("place name"), max_length=32, blank=True, help_text=_("e.g. 广州市"))
    issuer_mark = models.CharField(_("issuer mark"), max_length=64, help_text=_("e.g. 广州市人民政府办公厅文件"))
    number_prefix = models.CharField(_("document-number prefix"), max_length=16, help_text=_("e.g. 穗府办"))
    addressees = models.CharField(_("addressees"), max_length=255)
    copies_to = models.TextField(_("copies to"), blank=True)
    printing_office = models.CharField(_("printing office"), max_length=64)
    bulletin_procedure = models.CharField(
        _("bulletin's procedure"), max_length=255, blank=True,
        help_text=_("How the result was reached, as the bulletin says it, e.g. 经市有关部门推荐、市政府办公厅审核，并报市人民政府同意"))
    bulletin_closing = models.TextField(_("bulletin's closing paragraph"), blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    # The leader's sign-off (签发): when set, a bureau's list goes from its clerk to the bureau's leader
    # (``Membership.is_leader``), and only a list the leader signed off reaches the General Office
    # (``nominations.states``: the rows marked ``sign_off``).
    sign_off_required = models.BooleanField(
        _("lists need the bureau leader's sign-off"), default=False,
        help_text=_("A bureau's list reaches the General Office only once the bureau's leader signed it off (签发)."))
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="reviewed_programmes",
                                       verbose_name=_("reviewers"))
    # The programme's finance bureau: its members set the amounts awards pledge and enter disbursements (the
    # programme's finance role). A role of this programme only, never found by a bureau's name.
    finance_bureau = models.ForeignKey("Bureau", on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("finance bureau"),
                                       help_text=_("Its staff set the amounts awards pledge and enter disbursements."))

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-is_default", "code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                    name="%(app_label)s_%(class)s_one_default",
                                    violation_error_message=_("Only one programme is the default.")),
        ]

    def __str__(self):
        return self.name


def default_programme_id() -> int:
    """The default of every ``programme`` foreign key: the default programme. Reads its id alone, so that it
    also answers while a migration runs on a table without the model's newer columns."""
    pk = Programme.objects.filter(is_default=True).values_list("pk", flat=True).first()
    return pk if pk is not None else Programme.objects.default().pk


class Bureau(models.Model):
    """A municipal bureau (市有关部门) as the notices write it, with its official full name."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, default=default_programme_id,
                                  related_name="bureaus", verbose_name=_("programme"))
    short_name = models.CharField(_("short name"), max_length=64, help_text=_("As the notice writes it, e.g. 市水务局"))
    full_name = models.CharField(_("full name"), max_length=128)
    full_name_confirmed = models.BooleanField(_("full name confirmed"), default=True)
    # The last step of the reminders (nominations.reminders): told when the bureau is late by the programme's days.
    leader_name = models.CharField(_("leader contact"), max_length=64, blank=True,
                                   help_text=_("The leader told when the bureau is late with a list"))
    leader_email = models.EmailField(_("leader's e-mail address"), blank=True)
    order = models.PositiveIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Object permissions are granted to this group; membership in the bureau is membership in the group.
    group = models.OneToOneField(Group, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="bureau")

    class Meta:
        verbose_name = _("bureau")
        verbose_name_plural = _("bureaus")
        ordering = ["order", "short_name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "short_name"], name="%(app_label)s_%(class)s_unique_short_name",
                                    violation_error_message=_("This programme already has a bureau with this short name.")),
            models.UniqueConstraint(fields=["programme", "full_name"], name="%(app_label)s_%(class)s_unique_full_name",
                                    violation_error_message=_("This programme already has a bureau with this full name.")),
        ]

    def __str__(self):
        return self.short_name

    @property
    def bare_name(self) -> str:
        """The short name without its 市 prefix (财政局), as notices write a second bureau in a list."""
        for prefix in ("市", "省", "区"):
            if self.short_name.startswith(prefix) and len(self.short_name) > 1:
                return self.short_name[1:]
        return self.short_name


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
    # Any other unit (机关、事业单位 …): 26-1 rewards "单位", whatever their kind.
    OTHER_UNIT = "unit"

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

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, default=default_programme_id,
                                  related_name="units", verbose_name=_("programme"))
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
            models.UniqueConstraint(fields=["programme", "kind", "name", "parent"], name="%(app_label)s_%(class)s_unique_name",
                                    violation_error_message=_("A unit of this kind with this name already exists here.")),
            models.UniqueConstraint(fields=["programme", "kind", "name"], condition=Q(parent__isnull=True),
                                    name="%(app_label)s_%(class)s_unique_top_name",
                                    violation_error_message=_("A unit of this kind with this name already exists.")),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="%(app_label)s_%(class)s_not_own_parent",
                                   violation_error_message=_("A unit cannot be its own district.")),
        ]
        indexes = [models.Index(fields=["kind", "is_active"]),
                   # The catalogue's order as the admin's changelist reads it (the id breaks ties): a page of a
                   # province's units without sorting them all.
                   models.Index(fields=["division_order", "name", "-id"], name="organisation_unit_order")]

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
    # The bureau's leader (a role per bureau, ``organisation.roles``): signs off the bureau's lists (签发) where
    # the programme asks for it.
    is_leader = models.BooleanField(_("leader of the bureau"), default=False,
                                    help_text=_("Signs off the bureau's lists (签发) where the programme requires it."))
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
    PROGRAMME_CREATED = "programme.created", _("Programme created")
    PROGRAMME_CHANGED = "programme.changed", _("Programme changed")
    PROGRAMME_REVIEWERS_CHANGED = "programme.reviewers_changed", _("Programme's reviewers changed")
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
    OBJECTION_PERSONAL_DATA_VIEWED = "objection.personal_data_viewed", _("Objector's personal data viewed")
    PERSONAL_DATA_PURGED = "personal_data.purged", _("Personal data removed after the retention period")
    PERSONAL_DATA_KEY_ROTATED = "personal_data.key_rotated", _("Personal data encrypted again with the current key")
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
    LIST_SENT_FOR_SIGN_OFF = "nomination_list.sent_for_sign_off", _("Sent to the bureau's leader for sign-off")
    LIST_SIGNED_OFF = "nomination_list.signed_off", _("Signed off by the bureau's leader")
    LIST_SIGN_OFF_DECLINED = "nomination_list.sign_off_declined", _("Sent back by the bureau's leader")
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
    CRITERIA_FILED = "criteria.filed", _("Criteria filed")
    CRITERIA_CHANGED = "criteria.changed", _("Criteria changed (new version)")
    CRITERIA_ACCEPTED = "criteria.accepted", _("Criteria accepted")
    CRITERIA_RETURNED = "criteria.returned", _("Criteria sent back")
    VALUES_ENTERED = "criteria.values_entered", _("Values entered")
    VALUES_IMPORTED = "criteria.values_imported", _("Values imported")
    INDICATOR_EVIDENCE_ADDED = "criteria.evidence_added", _("Evidence of an indicator added")
    INTEREST_DECLARED = "declaration.made", _("Interests declared (回避)")
    EVALUATION_SETTINGS_CHANGED = "evaluation_settings.changed", _("Evaluation settings changed")
    EXPERT_SAVED = "expert.saved", _("Expert of the pool saved")
    PANEL_CONVENED = "panel.convened", _("Expert panel convened (experts drawn)")
    PANEL_SCORES_SUBMITTED = "panel.scores_submitted", _("Expert's scores submitted")
    PANEL_SETTINGS_CHANGED = "panel.settings_changed", _("Expert panel's aggregation changed")
    LIST_MARKED_READ = "nomination_list.marked_read", _("Marked read by the reviewer")
    LATE_BUREAUS_REMINDED = "cycle.late_bureaus_reminded", _("Late bureaus reminded")
    QUEUE_EXPORTED = "cycle.queue_exported", _("Review queue exported")
    BULLETIN_REQUESTED = "bulletin.requested", _("Bulletin requested")
    BULLETIN_RENDERED = "bulletin.rendered", _("Bulletin rendered")
    BULLETIN_FAILED = "bulletin.failed", _("Bulletin rendering failed")
    BULLETIN_NUMBER_CHANGED = "cycle.bulletin_number_changed", _("Bulletin's document number changed")
    # screening (负面清单), the balance of the year, the dossier (一事一档)
    SCREENING_EVENT_RECORDED = "screening_event.recorded", _("Screening event recorded")
    SCREENING_EVENTS_IMPORTED = "screening_event.imported", _("Screening events imported")
    SCREENING_FLAG_KEPT = "screening_flag.kept", _("Screening flag settled: award kept")
    SCREENING_FLAG_WITHDRAWN = "screening_flag.withdrawn", _("Screening flag settled: award withdrawn")
    BALANCE_SETTINGS_CHANGED = "balance_settings.changed", _("Balance settings changed")
    BULLETIN_PRINTING_DATE_CHANGED = "cycle.bulletin_printing_date_changed", _("Bulletin's printing date changed")
    BULLETIN_SIGNATURE_INVALID = "bulletin.signature_invalid", _("Bulletin's signature failed its check")
    # messages
    MESSAGE_RETRIED = "message.retried", _("E-mail sent again")
    MESSAGE_CHANNEL_CHOSEN = "account.message_channel_chosen", _("Channel of messages chosen")
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
    # every change of an account (security.signals, from the User model's saves), and what was refused
    ACCOUNT_CREATED = "account.created", _("Account created")
    ACCOUNT_ACTIVATED = "account.activated", _("Account activated")
    ACCOUNT_DEACTIVATED = "account.deactivated", _("Account deactivated")
    SUPERUSER_CHANGED = "account.superuser_changed", _("Superuser status changed")
    STAFF_CHANGED = "account.staff_changed", _("Admin access (staff status) changed")
    EMAIL_CHANGED = "account.email_changed", _("E-mail address changed")
    NAME_CHANGED = "account.name_changed", _("Name changed")
    ACCOUNT_CHANGE_REFUSED = "account.change_refused", _("Account change refused")
    SUPERUSER_USED = "account.superuser_used", _("Superuser account used")
    SIGN_IN_LOCKED = "account.sign_in_locked", _("Sign-in refused: account or address locked")
    OTP_DEVICE_ADDED = "otp_device.added", _("Second-factor device added")
    RECOVERY_CODE_USED = "account.recovery_code_used", _("Recovery code used")
    RECOVERY_CODES_REMOVED = "account.recovery_codes_removed", _("Recovery codes removed")
    ACCESS_REFUSED = "access.refused", _("Access refused")
    DATA_EXPORTED = "data.exported", _("Data exported")
    # unified sign-on (OpenID Connect) and the open API
    OIDC_SIGNED_IN = "account.oidc_signed_in", _("Signed in through the identity provider")
    OIDC_SIGN_IN_REFUSED = "account.oidc_sign_in_refused", _("Sign-in through the identity provider refused")
    IDENTITY_LINKED = "account.identity_linked", _("Identity of the identity provider linked")
    IDENTITY_UNLINKED = "account.identity_unlinked", _("Identity of the identity provider unlinked")
    CLAIM_RULE_SET = "claim_rule.set", _("Rule from an identity's claim to a bureau set")
    CLAIM_RULE_REMOVED = "claim_rule.removed", _("Rule from an identity's claim to a bureau removed")
    API_TOKEN_CREATED = "api_token.created", _("API token created")
    API_TOKEN_REVOKED = "api_token.revoked", _("API token revoked")
    API_CALLED = "api.called", _("API called")


def typed_username():
    """The account name a failed sign-in typed (``data["username"]``, a record without actor), as text: the
    expression of an index and of the search that it serves (both must be the same expression)."""
    return Cast(KeyTextTransform("username", "data"), models.CharField(max_length=150))


class AuditEntry(models.Model):
    """Who did what, when, to which object. Written in the same transaction as the change it records."""

    # Set by audit_record (not auto_now_add: the chain value covers the time it is given).
    at = models.DateTimeField(_("time"), default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    action = models.CharField(_("action"), max_length=64, choices=AuditAction.choices, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("object type"))
    target_id = models.PositiveBigIntegerField(_("object id"))
    target_repr = models.CharField(_("object"), max_length=255)
    message = models.TextField(_("details"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Tamper evidence (organisation/audit_chain.py): the record's position in the chain (1, 2, 3… without gaps),
    # the id of the key that chained it, and HMAC-SM3(key, previous chain value + the record's fields).
    chain_seq = models.PositiveBigIntegerField(_("chain position"), null=True, blank=True, editable=False)
    chain_key = models.CharField(_("chain key id"), max_length=16, blank=True, editable=False)
    chain = models.CharField(_("chain value"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-at", "-id"]
        # Each search of the trail has its index (organisation.audit.audit_entries_filtered): an object's records,
        # a person's, an action's, newest first; the account name typed at a failed sign-in (no actor). On
        # PostgreSQL a trigram index serves a part of an object's name (migration 0004, not a model index).
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"], name="organisation_audit_target_idx"),
            models.Index(fields=["actor", "-at"], name="organisation_audit_actor_idx"),
            models.Index(fields=["action", "-at"], name="organisation_audit_action_idx"),
            models.Index(typed_username(), condition=Q(actor__isnull=True), name="organisation_audit_typed_idx"),
            # The records waiting to be chained (written, their transaction not yet committed): a handful at most.
            models.Index(fields=["id"], condition=Q(chain_seq__isnull=True), name="organisation_audit_unchained"),
        ]
        # One record per chain position: two transactions can never both extend the chain from the same record.
        constraints = [models.UniqueConstraint(fields=["chain_seq"], name="organisation_auditentry_chain_seq_unique",
                                               violation_error_message=_("This chain position is taken."))]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.get_action_display()} {self.target_repr}"


class Channel(models.TextChoices):
    """Where a person's messages reach them: e-mail, or the government's work messaging (企业微信/粤政易 and
    钉钉/浙政钉 work notifications, ``organisation.channels``)."""

    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom (企业微信/粤政易)")
    DINGTALK = "dingtalk", _("DingTalk (钉钉/浙政钉)")


class MessagingProfile(models.Model):
    """A person's choice of channel for the application's messages, and their ids in the messaging apps."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messaging",
                                verbose_name=_("user"))
    channel = models.CharField(_("messages reach me by"), max_length=16, choices=Channel.choices,
                               default=Channel.EMAIL)
    wecom_user_id = models.CharField(_("WeCom user id"), max_length=64, blank=True,
                                     help_text=_("Your account in 企业微信/粤政易 (成员UserID)"))
    dingtalk_user_id = models.CharField(_("DingTalk user id"), max_length=64, blank=True,
                                        help_text=_("Your account in 钉钉/浙政钉 (userid)"))

    class Meta:
        verbose_name = _("messaging profile")
        verbose_name_plural = _("messaging profiles")

    def __str__(self):
        return f"{self.user} · {self.get_channel_display()}"

    def address(self, channel: str) -> str:
        return {Channel.WECOM: self.wecom_user_id, Channel.DINGTALK: self.dingtalk_user_id}.get(channel, "")


class ProgrammeMessaging(models.Model):
    """A programme's work-messaging apps: the organisation's ids and where the secrets are (the name of an
    environment variable; a secret is never stored in the database). ``*_api_url`` is the app's documented API
    host (a government's private deployment, e.g. 粤政易 or 浙政钉, has its own)."""

    programme = models.OneToOneField(Programme, on_delete=models.CASCADE, related_name="messaging",
                                     verbose_name=_("programme"))
    wecom_corp_id = models.CharField(_("WeCom corp id"), max_length=64, blank=True)
    wecom_agent_id = models.CharField(_("WeCom agent id"), max_length=32, blank=True)
    wecom_secret_env = models.CharField(_("environment variable of the WeCom secret"), max_length=64, blank=True)
    wecom_api_url = models.URLField(_("WeCom API"), default="https://qyapi.weixin.qq.com")
    dingtalk_agent_id = models.CharField(_("DingTalk agent id"), max_length=32, blank=True)
    dingtalk_app_key = models.CharField(_("DingTalk app key"), max_length=64, blank=True)
    dingtalk_secret_env = models.CharField(_("environment variable of the DingTalk app secret"), max_length=64,
                                           blank=True)
    dingtalk_api_url = models.URLField(_("DingTalk API"), default="https://oapi.dingtalk.com")

    class Meta:
        verbose_name = _("programme's work messaging")
        verbose_name_plural = _("programmes' work messaging")

    def __str__(self):
        return str(self.programme)

    def offers(self, channel: str) -> bool:
        if channel == Channel.WECOM:
            return bool(self.wecom_corp_id and self.wecom_agent_id and self.wecom_secret_env)
        if channel == Channel.DINGTALK:
            return bool(self.dingtalk_app_key and self.dingtalk_agent_id and self.dingtalk_secret_env)
        return channel == Channel.EMAIL


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
    # The channel it goes by (the recipient's choice when it was recorded, ``organisation.channels``) and, for a
    # messaging app, the recipient's id there and the programme whose app sends it.
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    channel_address = models.CharField(_("id in the messaging app"), max_length=64, blank=True)
    channel_programme = models.ForeignKey(Programme, on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="+", verbose_name=_("programme of the messaging app"))
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
        # A message without an account is an objector's: their address is personal data, masked wherever shown.
        return f"{self.subject} · {self.recipient or mask_email(self.email)}"


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
