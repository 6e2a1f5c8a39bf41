"""The evaluation behind a list: a category's criteria for a year (评选标准), the scoring sheet of every eligible
unit, the evidence per indicator, and the declarations of interest (回避) of the people who score or decide.

Where this sits: between the catalogue (``measures``: categories, implementation rules) and the lists
(``nominations``). A category's criteria are the structured part of its bureau's implementation rules; the list
follows the ranking they give. A year is a performance year of the category's programme (``Cycle`` is
``nominations``', above this app): the criteria and the declarations are keyed by programme and year, which is
what a cycle is (``nominations.Cycle`` is unique per programme and year).

How points are computed, how ties are broken and who is out is ``evaluation.ranking`` (one home).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incentives.files import StoredFile
from measures.models import IncentiveCategory
from organisation.models import Bureau, Programme, Unit


class Criteria(models.Model):
    """One version of a category's criteria for one performance year, filed by its bureau and reviewed by the
    General Office like the implementation rules. Frozen once the first value is entered: a later change is a new
    version (with its reason), which the General Office reviews again."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Filed, waiting for review")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Sent back")

    category = models.ForeignKey(IncentiveCategory, on_delete=models.PROTECT, related_name="criteria",
                                 verbose_name=_("category"))
    year = models.PositiveSmallIntegerField(_("performance year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+", verbose_name=_("bureau"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.SUBMITTED)
    change_reason = models.TextField(_("why the criteria changed"), blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("filed by"))
    filed_at = models.DateTimeField(_("filed at"))
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True,
                                     help_text=_("When the first value was entered: the criteria no longer change"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("reviewed by"))
    decided_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons"), blank=True)

    class Meta:
        verbose_name = _("criteria")
        verbose_name_plural = _("criteria")
        ordering = ["category", "year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["category", "year", "version"], name="%(app_label)s_%(class)s_unique_version",
                                    violation_error_message=_("This version of the criteria exists already.")),
            models.CheckConstraint(condition=Q(version=1) | ~Q(change_reason=""),
                                   name="%(app_label)s_%(class)s_change_has_reason",
                                   violation_error_message=_("Say why the criteria change.")),
            models.CheckConstraint(condition=~Q(state="returned") | ~Q(decision_reason=""),
                                   name="%(app_label)s_%(class)s_return_has_reason",
                                   violation_error_message=_("Say why the criteria are sent back.")),
        ]

    def __str__(self):
        return f"{self.year} · {self.category.code} · v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class Method(models.TextChoices):
    SCORE = "score", _("A score on a stated scale")
    QUANTITY = "quantity", _("A quantity (higher or lower is better)")
    CONDITION = "condition", _("A pass/fail condition (否决项)")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Indicator(models.Model):
    """One indicator of a criteria version: what is measured, how, from where, and what it weighs.

    A score is read on its scale (``scale_min``–``scale_max``) and weighs ``weight × (value − min) / (max − min)``;
    a quantity is compared among the eligible units: the best value gets the whole weight, the worst none, the
    others in proportion; a condition weighs nothing and a unit that fails it is out (否决项)."""

    criteria = models.ForeignKey(Criteria, on_delete=models.CASCADE, related_name="indicators",
                                 verbose_name=_("criteria"))
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("indicator"), max_length=128)
    method = models.CharField(_("how it is measured"), max_length=16, choices=Method.choices)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=0)
    scale_min = models.DecimalField(_("lowest score"), max_digits=14, decimal_places=4, null=True, blank=True)
    scale_max = models.DecimalField(_("highest score"), max_digits=14, decimal_places=4, null=True, blank=True)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, blank=True)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=32, blank=True)
    data_source = models.CharField(_("data source"), max_length=255)
    evidence_required = models.BooleanField(_("evidence required"), default=False)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["criteria", "order"]
        constraints = [
            models.UniqueConstraint(fields=["criteria", "order"], name="%(app_label)s_%(class)s_unique_order",
                                    violation_error_message=_("Two indicators cannot share a position.")),
            models.UniqueConstraint(fields=["criteria", "name"], name="%(app_label)s_%(class)s_unique_name",
                                    violation_error_message=_("Two indicators cannot share a name.")),
            models.CheckConstraint(condition=Q(weight__gte=0) & Q(weight__lte=100),
                                   name="%(app_label)s_%(class)s_weight_range",
                                   violation_error_message=_("A weight is between 0 and 100.")),
            models.CheckConstraint(condition=~Q(method="score") | Q(scale_min__isnull=False, scale_max__isnull=False,
                                                                    scale_max__gt=models.F("scale_min")),
                                   name="%(app_label)s_%(class)s_score_has_scale",
                                   violation_error_message=_("A score needs its scale, the highest above the lowest.")),
            models.CheckConstraint(condition=~Q(method="quantity") | Q(direction__in=["higher", "lower"]),
                                   name="%(app_label)s_%(class)s_quantity_has_direction",
                                   violation_error_message=_("Say whether more or less is better.")),
            models.CheckConstraint(condition=~Q(method="condition") | Q(weight=0),
                                   name="%(app_label)s_%(class)s_condition_weighs_nothing",
                                   violation_error_message=_("A pass/fail condition weighs nothing.")),
        ]

    def __str__(self):
        return self.name


class Value(models.Model):
    """One unit's value of one indicator: a number (score, quantity) or passed/failed (condition)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values",
                                  verbose_name=_("indicator"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    number = models.DecimalField(_("value"), max_digits=18, decimal_places=4, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("entered by"))
    entered_at = models.DateTimeField(_("entered at"))

    class Meta:
        verbose_name = _("value")
        verbose_name_plural = _("values")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "unit"], name="%(app_label)s_%(class)s_unique_unit",
                                    violation_error_message=_("This unit already has a value for this indicator.")),
            models.CheckConstraint(condition=Q(number__isnull=False) | Q(passed__isnull=False),
                                   name="%(app_label)s_%(class)s_has_value",
                                   violation_error_message=_("A value is a number or passed/failed.")),
        ]

    def __str__(self):
        return f"{self.unit} · {self.indicator}"


class IndicatorEvidence(StoredFile):
    """A file that proves one unit's value of one indicator (where the indicator requires evidence)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="evidence",
                                  verbose_name=_("indicator"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence of an indicator")
        verbose_name_plural = _("evidence of indicators")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name

    def upload_directory(self) -> str:
        return f"evaluation/{self.indicator.criteria.year}"


class Stake(models.TextChoices):
    NONE = "none", _("Nothing to declare")
    WORKED = "worked", _("Worked there in the last years")
    RELATIVE = "relative", _("A relative works there")
    OTHER = "other", _("Other interest")


class Declaration(models.Model):
    """One statement of a person, for one year of a programme: a stake in a unit (they do not score or decide it),
    or that they have nothing to declare. Statements are only added: each takes effect at once and stays."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+", verbose_name=_("programme"))
    year = models.PositiveSmallIntegerField(_("performance year"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="declarations",
                               verbose_name=_("person"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("unit"))
    stake = models.CharField(_("stake"), max_length=16, choices=Stake.choices)
    reason = models.TextField(_("reason"), blank=True)
    declared_at = models.DateTimeField(_("declared at"))

    class Meta:
        verbose_name = _("declaration of interest")
        verbose_name_plural = _("declarations of interest")
        ordering = ["programme", "year", "declared_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "year", "person", "unit"], condition=Q(unit__isnull=False),
                                    name="%(app_label)s_%(class)s_unique_unit",
                                    violation_error_message=_("You have declared a stake in this unit already.")),
            models.CheckConstraint(condition=(Q(stake="none") & Q(unit__isnull=True))
                                   | (~Q(stake="none") & Q(unit__isnull=False) & ~Q(reason="")),
                                   name="%(app_label)s_%(class)s_stake_has_unit_and_reason",
                                   violation_error_message=_("A stake names its unit and its reason.")),
        ]

    def __str__(self):
        return f"{self.year} · {self.person} · {self.unit or self.get_stake_display()}"


class EvaluationSettings(models.Model):
    """What a programme publishes of its evaluations. One row per programme, edited in the admin; the defaults
    apply while it has none: the public notice (公示) shows each proposed unit's category criteria, and other
    units' figures only when the programme chooses to publish them."""

    programme = models.OneToOneField(Programme, on_delete=models.PROTECT, related_name="evaluation_settings",
                                     verbose_name=_("programme"))
    publish_figures = models.BooleanField(
        _("publish the ranking's figures in the public notice"), default=False,
        help_text=_("Off: the public notice shows each category's criteria only. On: also every eligible unit's "
                    "points, total and position."))

    class Meta:
        verbose_name = _("evaluation settings")
        verbose_name_plural = _("evaluation settings")

    def __str__(self):
        return str(_("Evaluation settings"))

    @classmethod
    def current(cls, programme_id: int) -> "EvaluationSettings":
        return cls.objects.filter(programme_id=programme_id).first() or cls(programme_id=programme_id)


# --- expert panels (专家评审) -----------------------------------------------------------------------------------


class Expert(models.Model):
    """One entry of a programme's pool of experts (专家库): who they are, their field, where they work, how to reach
    them. The account (role ``expert``) is how they sign in to score; it sees only the panels they were drawn for.
    ``unit`` is set when the expert works in a unit of the register: they are never drawn for a panel where that
    unit is a candidate."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+", verbose_name=_("programme"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert",
                                verbose_name=_("account"))
    name = models.CharField(_("name"), max_length=64)
    field = models.CharField(_("field"), max_length=64, help_text=_("e.g. 工业经济, 水利工程"))
    organisation = models.CharField(_("organisation"), max_length=128)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("works in the unit"),
                             help_text=_("When the organisation is a unit of the register: never drawn to score it."))
    contact = models.CharField(_("contact"), max_length=128, blank=True)
    is_active = models.BooleanField(_("in the pool"), default=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["programme", "field", "name", "id"]

    def __str__(self):
        return f"{self.name} · {self.field}"


class Aggregation(models.TextChoices):
    MEAN = "mean", _("The mean of the experts' totals")
    TRIMMED = "trimmed", _("The mean without the highest and the lowest total (from five experts on)")


class Panel(models.Model):
    """A panel of experts the General Office convenes for one category and year: drawn at random from the pool's
    experts of the panel's fields, without those who declared a stake in a candidate or work in one. The draw is
    recorded (``seed``, the ordered ``pool`` it was drawn from, the ``candidates``) so that it can be replayed
    (``evaluation.panels.draw``), and the excluded experts with their reason (``PanelExclusion``)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+", verbose_name=_("programme"))
    category = models.ForeignKey(IncentiveCategory, on_delete=models.PROTECT, related_name="panels",
                                 verbose_name=_("category"))
    year = models.PositiveSmallIntegerField(_("performance year"))
    criteria = models.ForeignKey(Criteria, on_delete=models.PROTECT, related_name="panels",
                                 verbose_name=_("criteria"))
    size = models.PositiveSmallIntegerField(_("number of experts"))
    expert_fields = models.JSONField(_("fields drawn from"), default=list)
    seed = models.BigIntegerField(_("seed of the draw"))
    pool = models.JSONField(_("experts the draw was made from, in order"), default=list)
    candidates = models.ManyToManyField(Unit, related_name="+", verbose_name=_("candidates"))
    aggregation = models.CharField(_("aggregation"), max_length=16, choices=Aggregation.choices,
                                   default=Aggregation.TRIMMED)
    spread_limit = models.DecimalField(
        _("largest accepted spread"), max_digits=6, decimal_places=2, default=15,
        help_text=_("A candidate whose highest and lowest totals differ by more is flagged for discussion."))
    convened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("convened by"))
    convened_at = models.DateTimeField(_("convened at"))

    class Meta:
        verbose_name = _("expert panel")
        verbose_name_plural = _("expert panels")
        ordering = ["-year", "category", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "year"], name="%(app_label)s_%(class)s_one_per_year",
                                    violation_error_message=_("This category has a panel for this year already.")),
            models.CheckConstraint(condition=Q(size__gte=1) & Q(size__lte=50), name="%(app_label)s_%(class)s_size",
                                   violation_error_message=_("A panel has 1 to 50 experts.")),
            models.CheckConstraint(condition=Q(spread_limit__gte=0), name="%(app_label)s_%(class)s_spread_positive",
                                   violation_error_message=_("The spread is not negative.")),
        ]

    def __str__(self):
        return f"{self.year} · {self.category.code} · {_('expert panel')}"


class PanelMember(models.Model):
    """An expert drawn for a panel, in the order of the draw; ``submitted_at`` once their scores are in (final)."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="members", verbose_name=_("panel"))
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("expert"))
    order = models.PositiveSmallIntegerField(_("order of the draw"))
    submitted_at = models.DateTimeField(_("scores submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        ordering = ["panel", "order"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "expert"], name="%(app_label)s_%(class)s_unique_expert",
                                    violation_error_message=_("An expert sits once on a panel.")),
        ]

    def __str__(self):
        return f"{self.panel} · {self.expert.name}"


class ExclusionReason(models.TextChoices):
    STAKE = "stake", _("Declared a stake in a candidate")
    WORKS_IN = "works_in", _("Works in a candidate unit")


class PanelExclusion(models.Model):
    """An expert of the panel's fields left out of the draw, and why (the unit and, for a stake, its kind)."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="exclusions", verbose_name=_("panel"))
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="+", verbose_name=_("expert"))
    reason = models.CharField(_("reason"), max_length=16, choices=ExclusionReason.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    detail = models.CharField(_("detail"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("expert left out of a draw")
        verbose_name_plural = _("experts left out of draws")
        ordering = ["panel", "expert_id", "id"]

    def __str__(self):
        return f"{self.expert.name} · {self.get_reason_display()}"


class PanelScore(models.Model):
    """One expert's score of one candidate: the points of each weighted indicator (``points``: indicator id →
    points, each between 0 and the indicator's weight), their total, and the expert's comment."""

    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="scores", verbose_name=_("expert"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("candidate"))
    points = models.JSONField(_("points per indicator"), default=dict)
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2)
    comment = models.TextField(_("comment"))

    class Meta:
        verbose_name = _("expert's score")
        verbose_name_plural = _("experts' scores")
        ordering = ["member", "unit__division_order"]
        constraints = [
            models.UniqueConstraint(fields=["member", "unit"], name="%(app_label)s_%(class)s_unique_unit",
                                    violation_error_message=_("The expert has scored this candidate already.")),
        ]

    def __str__(self):
        return f"{self.member} · {self.unit}"
