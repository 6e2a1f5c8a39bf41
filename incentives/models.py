"""The organisation shared by every app: bureaus, nominee units and their kinds, memberships, the audit trail."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
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
