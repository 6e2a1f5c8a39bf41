"""The General Office's decisions: per-nominee decisions, awards under the cap, exceptions, bulletins."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from measures.limits import ABSOLUTE_MAXIMUM, CAP_IN_PRINCIPLE
from measures.models import CapException, IncentiveCategory
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
    nominee = models.OneToOneField(Nominee, on_delete=models.PROTECT, related_name="award", verbose_name=_("nominee"))
    slot = models.PositiveSmallIntegerField(_("slot"))
    cap_exception = models.ForeignKey(CapException, on_delete=models.PROTECT, null=True, blank=True, related_name="awards",
                                      verbose_name=_("exception to the cap"),
                                      help_text=_("The recorded exception that allows a slot above 3"))
    awarded_at = models.DateTimeField(_("awarded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["cycle", "category", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "category", "slot"], name="%(app_label)s_%(class)s_unique_slot",
                                    violation_error_message=_("This category has reached its number of awardees for the cycle.")),
            models.UniqueConstraint(fields=["cycle", "category", "unit"], name="%(app_label)s_%(class)s_unique_unit",
                                    violation_error_message=_("This unit is already an awardee of this category.")),
            models.CheckConstraint(condition=Q(slot__gte=1) & Q(slot__lte=ABSOLUTE_MAXIMUM), name="%(app_label)s_%(class)s_slot_range",
                                   violation_error_message=_("Too many awardees for one category.")),
            # The cap of 3 in the database itself: a fourth slot exists only with a recorded exception.
            models.CheckConstraint(condition=Q(slot__lte=CAP_IN_PRINCIPLE) | Q(cap_exception__isnull=False),
                                   name="%(app_label)s_%(class)s_cap_needs_exception",
                                   violation_error_message=_("More than 3 awardees needs a recorded exception to the cap.")),
        ]

    def __str__(self):
        return f"{self.cycle.year} · {self.category.code} · {self.unit}"


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
                                  help_text=_("The date of printing (印发) in the closing block; the rendering date if empty"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
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
