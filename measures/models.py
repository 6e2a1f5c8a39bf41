"""The catalogue: a policy document, its numbered measures, the incentive categories the cap counts in,
and which bureau is responsible for each category in which role.

How the 2022 notice (穗府办〔2022〕30号) is read into categories
------------------------------------------------------------------
The notice caps "每类激励主体" (each class of incentive subject) at 3 a year, in principle. A category is
therefore one class of subject rewarded for one achievement under one owner. Most measures have one category.
Measures are split where the text names separately owned incentives or separately targeted subjects:

* 19 — two categories: 河长制湖长制 (市水务局) and 林长制 (市林业园林局), "按职责分别负责": each bureau is
  separately responsible for its own category and sees only the other's as nothing.
* 16 — "区和医院": two categories, districts and hospitals. One sentence, but two classes of subject that
  are never ranked against each other; a cap shared by both would let three hospitals crowd out every district.
* 25 — two sentences, two subjects, two different rewards (履约考核加分 for 医保协议银行, 年度考核加分 for
  定点医疗机构): two categories.
* 26 — two sentences: units that advanced 法治政府 (districts and municipal departments), and legal service
  institutions (律师事务所、公证机构、司法鉴定机构): two categories.
* 30 — two clauses: 市属国有企业 rewarded in their performance assessment, and 区和企业 commended for
  enterprise-bond work. The second names two classes of subject, so it is split like 16: three categories
  (state-owned enterprises; districts; enterprises). Both bureaus are jointly responsible for all three, as
  the notice gives no division.
* 32 — two clauses: 市牵头部门 (municipal departments that won a State Council incentive) and 区 (districts
  that won one, 500万元 each): two categories, the three bureaus jointly responsible for both.
* 1 and 28 reward "区(街、镇)": one category whose subjects may be districts, streets or towns; 31 rewards
  "区(政府派出机构)": one category of districts and dispatched agencies.

Selections and entitlements (``IncentiveCategory.kind``)
-------------------------------------------------------
The cap counts only where the notice makes the General Office choose among the units that did well: a
*selection* (at most the limit in force a year, one award per unit). Where the notice gives the support to every
unit that meets a condition it states, the category is an *entitlement*: every qualifying event is recorded with
its evidence, there is no cap, and one unit may receive it several times a year. Read measure by measure:

* 9 — "对获得国家发展改革委批复建设的工程研究中心、企业技术中心…等创新平台，符合条件的予以配套资金支持": every
  platform approved at national or provincial level that meets the conditions: an **entitlement** (matching funds,
  amount set per award).
* 32-1 — "对获得国务院督查激励措施激励的市牵头部门，按规定纳入机关绩效考核加分事项并予以通报表扬": every lead
  department of a State Council incentive won: an **entitlement**, earned by an entry of the register of
  higher-level incentives (bonus points and commendation).
* 32-2 — "对获国务院督查激励的区，每项安排500万元国务院督查激励配套资金": every district, 500万元 for *each* State
  Council incentive won (每项): an **entitlement**, one award of 5,000,000 yuan per register entry.
* Every other category is a **selection**: the notice rewards the units "成效明显/显著/突出", "排名靠前",
  "考核结果优秀" — a comparison among units, which the cap of 3 in principle bounds. 19's two categories reward the
  best results of an assessment (考核结果优秀), 20 units "获得省、市表扬或肯定", 26-1 units "如入选…示范…或…考评中成绩
  优秀": all ranked judgements, so selections; 11's "在获批国务院督查激励过程中发挥关键作用" is one criterion among
  several, not a condition that entitles.

Support per category (``IncentiveCategory.support_forms`` and ``support_text``)
-----------------------------------------------------------------------------
The support belongs to the category, in the notice's own words (a part of the measure's text): 32-1's
departments get the assessment points and the commendation, 32-2's districts the 500万元; 25-1's banks the points
of their contract assessment (履约情况考核), 25-2's institutions those of their annual assessment; 26-1's units a
commendation, 26-2's institutions a commendation and priority recommendation; 30-1's enterprises "一定鼓励" in
their yearly performance assessment (not points), 30-2 and 30-3 a commendation. 4 and 19 say only "予以激励支持":
their form is unspecified incentive support, not funding. Where a form is money (tilted funding, matching funds),
each award carries its amount: fixed by the category (``award_amount``, 32-2) or entered per award.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from incentives.files import StoredFile
from organisation.models import Bureau, Programme, UnitKind, default_programme_id

from . import limits

CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_numeral(number: int) -> str:
    """1 → 一, 10 → 十, 19 → 十九, 32 → 三十二 (1–99)."""
    if not 1 <= number <= 99:
        raise ValueError(f"{number} is outside 1–99")
    tens, ones = divmod(number, 10)
    text = ""
    if tens:
        text = ("" if tens == 1 else CHINESE_NUMERALS[tens - 1]) + "十"
    if ones:
        text += CHINESE_NUMERALS[ones - 1]
    return text


class SupportForm(models.TextChoices):
    COMMENDATION = "commendation", _("Public commendation")
    FUNDING = "funding", _("Tilted funding")
    PILOT_PRIORITY = "pilot_priority", _("Priority for pilots and recommendations")
    LAND_QUOTA = "land_quota", _("Construction-land quota")
    BONUS_POINTS = "bonus_points", _("Bonus points in assessments")
    MATCHING_FUNDS = "matching_funds", _("Matching funds")
    INCENTIVE_SUPPORT = "incentive_support", _("Incentive support (form not specified)")
    ASSESSMENT_ENCOURAGEMENT = "assessment_encouragement", _("Encouragement in the yearly performance assessment")
    PLATFORM_BUILDING = "platform_building", _("Support for building platforms")
    PUBLICITY = "publicity", _("Publicity and promotion")
    GRADUATE_EMPLOYMENT = "graduate_employment", _("Graduates guided to work in the district")
    ASSESSMENT_FACTOR = "assessment_factor", _("A weighty factor in the performance assessment")


# Forms of support that are money: an award under them carries an amount (pledged, then disbursed). Every other
# form (a platform, publicity, graduates, points, a pilot) is given, never pledged or paid: a category whose support
# mixes both pledges only the money.
MONEY_FORMS = frozenset({SupportForm.FUNDING, SupportForm.MATCHING_FUNDS})


class CategoryKind(models.TextChoices):
    SELECTION = "selection", _("Selection (the cap counts)")
    ENTITLEMENT = "entitlement", _("Entitlement (every qualifying unit, no cap)")


class PolicyDocument(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, default=default_programme_id,
                                  related_name="documents", verbose_name=_("programme"))
    title = models.CharField(_("title"), max_length=255)
    number = models.CharField(_("document number"), max_length=64, help_text=_("e.g. 穗府办〔2022〕30号"))
    issuer = models.CharField(_("issuer"), max_length=128)
    issued_on = models.DateField(_("date"), null=True, blank=True)
    printed_on = models.DateField(_("printed on"), null=True, blank=True)
    supersedes = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="superseded_by", verbose_name=_("supersedes"))
    in_force = models.BooleanField(_("in force"), default=True)
    text = models.TextField(_("full text"), blank=True)
    rules_due_on = models.DateField(_("implementation rules due on"), null=True, blank=True,
                                    help_text=_("The date by which each responsible bureau files the 实施办法 of its measures"))
    first_year = models.PositiveSmallIntegerField(
        _("first year of nominations"), null=True, blank=True,
        help_text=_("从2023年起: the first year bureaus propose units under this document (2023 for 穗府办〔2022〕30号), "
                    "for the year before: no cycle assesses an earlier performance year"))

    class Meta:
        verbose_name = _("policy document")
        verbose_name_plural = _("policy documents")
        ordering = ["-issued_on", "number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="%(app_label)s_%(class)s_unique_number",
                                    violation_error_message=_("This programme already has a document with this number.")),
        ]

    def __str__(self):
        return self.number


class Measure(models.Model):
    document = models.ForeignKey(PolicyDocument, on_delete=models.PROTECT, related_name="measures", verbose_name=_("policy document"))
    number = models.PositiveSmallIntegerField(_("number"))
    numeral = models.CharField(_("Chinese numeral"), max_length=8)
    title = models.CharField(_("short title"), max_length=128)
    text = models.TextField(_("full text"), help_text=_("The clause as the notice prints it, responsibility included"))
    responsibility_clause = models.CharField(_("responsibility clause"), max_length=255, blank=True,
                                             help_text=_("e.g. 市水务局会市发展改革委负责"))
    subject_kinds = models.ManyToManyField(UnitKind, related_name="measures", blank=True, verbose_name=_("kinds of units rewarded"))
    support_forms = models.JSONField(_("forms of support"), default=list, blank=True)
    support_text = models.TextField(_("support"), blank=True, help_text=_("What the awardees receive, in the notice's words"))

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="%(app_label)s_%(class)s_unique_number",
                                    violation_error_message=_("This document already has a measure with this number.")),
            models.CheckConstraint(condition=Q(number__gte=1) & Q(number__lte=99), name="%(app_label)s_%(class)s_number_range",
                                   violation_error_message=_("A measure number is between 1 and 99.")),
        ]

    def __str__(self):
        return f"{self.numeral}、{self.title}"

    def get_support_forms_display(self) -> list[str]:
        labels = dict(SupportForm.choices)
        return [str(labels.get(code, code)) for code in self.support_forms]


class IncentiveCategory(models.Model):
    """What the cap of 3 awardees a year counts in. One per measure, more where the measure is split."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="categories", verbose_name=_("measure"))
    code = models.CharField(_("code"), max_length=16, help_text=_("The measure number, with a suffix where it is split: 19, 19-1"))
    name = models.CharField(_("name"), max_length=128)
    description = models.TextField(_("what is rewarded"), blank=True)
    subject_kinds = models.ManyToManyField(UnitKind, related_name="categories", verbose_name=_("kinds of units rewarded"))
    cap = models.PositiveSmallIntegerField(_("awardees per year"), default=limits.CAP_IN_PRINCIPLE,
                                           help_text=_("At most 3, the notice's cap in principle; more needs a recorded exception"))
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    kind = models.CharField(_("kind of category"), max_length=16, choices=CategoryKind.choices,
                            default=CategoryKind.SELECTION,
                            help_text=_("Selection: at most the limit a year; entitlement: every qualifying unit, no cap"))
    support_forms = models.JSONField(_("forms of support"), default=list, blank=True)
    support_text = models.TextField(_("support"), blank=True, help_text=_("What this category's awardees receive, in the notice's words"))
    award_amount = models.DecimalField(_("amount per award (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True,
                                       help_text=_("Where the notice fixes the money of each award (500万元 = 5000000)"))
    earned_by_higher_award = models.BooleanField(
        _("earned by a higher-level incentive"), default=False,
        help_text=_("An entry of the register of State Council incentives won creates this category's award"))

    class Meta:
        verbose_name = _("incentive category")
        verbose_name_plural = _("incentive categories")
        ordering = ["measure__document", "measure__number", "order"]
        permissions = [
            ("nominate_incentivecategory", _("Can prepare and submit the nomination list")),
            ("comment_incentivecategory", _("Can comment on the nomination list")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["measure", "code"], name="%(app_label)s_%(class)s_unique_code",
                                    violation_error_message=_("This measure already has a category with this code.")),
            models.UniqueConstraint(fields=["measure", "order"], name="%(app_label)s_%(class)s_unique_order",
                                    violation_error_message=_("This measure already has a category in this position.")),
            models.CheckConstraint(condition=Q(cap__gte=1) & Q(cap__lte=limits.CAP_IN_PRINCIPLE),
                                   name="%(app_label)s_%(class)s_cap_range",
                                   violation_error_message=_("A category's cap is between 1 and 3; more needs an exception.")),
            models.CheckConstraint(condition=Q(award_amount__isnull=True) | Q(award_amount__gt=0),
                                   name="%(app_label)s_%(class)s_amount_positive",
                                   violation_error_message=_("The amount per award is more than zero.")),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_entitlement(self) -> bool:
        return self.kind == CategoryKind.ENTITLEMENT

    @property
    def carries_money(self) -> bool:
        return bool(MONEY_FORMS.intersection(self.support_forms or ()))

    def get_support_forms_display(self) -> list[str]:
        labels = dict(SupportForm.choices)
        return [str(labels.get(code, code)) for code in self.support_forms]

    def kind_codes(self) -> set[str]:
        return set(self.subject_kinds.values_list("code", flat=True))



class Responsibility(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        CO = "co", _("Co-responsible")
        SEPARATE = "separate", _("Separately responsible")
        JOINT = "joint", _("Jointly responsible")

    # Roles that prepare and submit the category's list; co-responsible bureaus read and comment.
    OWNER_ROLES = (Role.LEAD, Role.SEPARATE, Role.JOINT)

    category = models.ForeignKey(IncentiveCategory, on_delete=models.CASCADE, related_name="responsibilities", verbose_name=_("category"))
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="responsibilities", verbose_name=_("bureau"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=1, help_text=_("Position in the clause"))

    class Meta:
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")
        ordering = ["category", "order"]
        constraints = [
            models.UniqueConstraint(fields=["category", "bureau"], name="%(app_label)s_%(class)s_unique_bureau",
                                    violation_error_message=_("This bureau is already responsible for this category.")),
            # One owner of the list: a single lead, or a single separately responsible bureau.
            models.UniqueConstraint(fields=["category"], condition=Q(role__in=["lead", "separate"]),
                                    name="%(app_label)s_%(class)s_one_lead",
                                    violation_error_message=_("A category has at most one lead bureau.")),
        ]

    def __str__(self):
        return f"{self.bureau} · {self.get_role_display()}"

    @property
    def can_edit(self) -> bool:
        return self.role in self.OWNER_ROLES


class CapException(models.Model):
    """The General Office's recorded decision to allow more than the cap for one category in one year
    (see ``measures.limits``)."""

    category = models.ForeignKey(IncentiveCategory, on_delete=models.PROTECT, related_name="cap_exceptions",
                                 verbose_name=_("category"))
    year = models.PositiveSmallIntegerField(_("performance year"))
    new_limit = models.PositiveSmallIntegerField(_("new limit"))
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("exception to the cap")
        verbose_name_plural = _("exceptions to the cap")
        constraints = [
            models.UniqueConstraint(fields=["category", "year"], name="%(app_label)s_%(class)s_unique_category",
                                    violation_error_message=_("This category already has an exception in this cycle.")),
            models.CheckConstraint(condition=Q(new_limit__gte=1) & Q(new_limit__lte=limits.ABSOLUTE_MAXIMUM),
                                   name="%(app_label)s_%(class)s_limit_range",
                                   violation_error_message=_("The new limit is between 1 and 10.")),
        ]

    def __str__(self):
        return f"{self.year} · {self.category.code} → {self.new_limit}"


def rules_upload_to(instance, filename):
    # Kept for the migrations that name it; the field now uses incentives.files.stored_file_upload_to.
    return f"{instance.upload_directory()}/{instance.token}{instance.extension}"


class ImplementationRules(StoredFile):
    """One filing of a measure's implementation rules (实施办法) by a responsible bureau. A bureau files again after
    a return; the filing the General Office accepted last is the rules in force."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Filed, waiting for review")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Sent back")

    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="rules", verbose_name=_("measure"))
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="rules", verbose_name=_("bureau"))
    title = models.CharField(_("title"), max_length=255)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by"))
    submitted_at = models.DateTimeField(_("filed at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("reviewed by"))
    decided_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons"), blank=True)

    class Meta:
        verbose_name = _("implementation rules")
        verbose_name_plural = _("implementation rules")
        ordering = ["measure", "bureau", "-submitted_at", "-id"]
        constraints = [
            # One filing at a time waits for review.
            models.UniqueConstraint(fields=["measure", "bureau"], condition=Q(state="submitted"),
                                    name="%(app_label)s_%(class)s_one_waiting",
                                    violation_error_message=_("This bureau's rules for this measure already wait for review.")),
            models.CheckConstraint(condition=~Q(state="returned") | ~Q(decision_reason=""),
                                   name="%(app_label)s_%(class)s_return_has_reason",
                                   violation_error_message=_("Say why the rules are sent back.")),
        ]

    def __str__(self):
        return f"{self.measure} · {self.bureau} · {self.title}"

    def upload_directory(self) -> str:
        return f"rules/{self.measure.document_id}"


class CategoryUserObjectPermission(UserObjectPermissionBase):
    """guardian's per-user permission rows for categories, with a direct foreign key (fast joins)."""

    content_object = models.ForeignKey(IncentiveCategory, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("category permission of a user")
        verbose_name_plural = _("category permissions of users")


class CategoryGroupObjectPermission(GroupObjectPermissionBase):
    """guardian's per-group permission rows for categories. Each bureau's group gets them from its
    responsibilities (see ``organisation.permissions``), so a clerk's rights follow their bureau's."""

    content_object = models.ForeignKey(IncentiveCategory, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("category permission of a bureau")
        verbose_name_plural = _("category permissions of bureaus")
