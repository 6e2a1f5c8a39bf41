"""The evaluation's rules at the door (``organisation.access``): who reads a category's criteria and sheet, who
files the criteria and enters values (the bureaus that prepare the category's list), who reviews the criteria
(the General Office of the programme), who reads the declarations of interest, who convenes and reads an expert
panel (the General Office) and who scores in one (the experts drawn for it, and only for it).

Whether one person may score or decide one *unit* (回避) is not a rule of the door but of the declarations:
``evaluation.services.recusal_check``, asked by every service that scores or decides a unit."""

from django.db.models import Q
from django.utils.translation import gettext

from measures.models import IncentiveCategory
from measures.permissions import NOMINATE, VIEW, rights
from organisation import access
from organisation.access import NOTHING, Actions, Person
from organisation.models import Programme, Unit

from .models import Criteria, Declaration, Expert, IndicatorEvidence, Panel, PanelMember


@access.read_rule(Criteria, "view")
def _criteria_readable(who: Person):
    """The criteria of the categories the person reads (their bureaus'; reviewers: their programmes')."""
    return Q(category__in=access.restrict(IncentiveCategory.objects.all(), who.user, "view").values("pk"))


@access.read_rule(Criteria, "review")
def _criteria_reviewed(who: Person):
    return access.in_programmes("category__measure__document__programme", who.reviewed_programmes.values("pk"))


@access.read_rule(IndicatorEvidence, "view")
def _evidence_readable(who: Person):
    return Q(indicator__criteria__in=access.restrict(Criteria.objects.all(), who.user, "view").values("pk"))


@access.read_rule(Declaration, "view")
def _declarations_readable(who: Person):
    """Who recused from what is no secret inside the programme: its people read the declarations; an expert of
    its pool reads their own."""
    return access.in_programmes("programme", who.programmes.values("pk")) | Q(person_id=who.pk)


def category_actions(who: Person, category: IncentiveCategory) -> Actions:
    """What the person may do with a category's evaluation: ``view`` (its bureaus, reviewers, administrators),
    ``file`` criteria and ``score`` units (the bureaus that prepare its list), not for an entitlement."""
    granted = rights(who.user, category)
    actions = Actions()
    if VIEW in granted:
        actions.allow("view")
    if category.is_entitlement:
        reason = gettext("An entitlement has no ranking: every qualifying unit receives it.")
        return actions.refuse("file", reason).refuse("score", reason)
    prepares = NOMINATE in granted
    refusal = gettext("Your bureau does not prepare this category's list.")
    return actions.when("file", prepares, refusal).when("score", prepares, refusal)


@access.object_rule(Criteria)
def _criteria_actions(who: Person, criteria: Criteria) -> Actions:
    actions = category_actions(who, criteria.category)
    if who.reviews(criteria.category.measure.document.programme_id):
        actions.allow("view")
        actions.when("decide", criteria.state == Criteria.State.SUBMITTED,
                     lambda: gettext("These criteria have been reviewed already."))
    else:
        actions.refuse("decide", gettext("Only General Office reviewers may do this."))
    return actions


def require_on_category(user, action: str, category: IncentiveCategory) -> Actions:
    """``access.require`` for a category's evaluation before its first criteria exist (the criteria's own rule
    answers afterwards): ``NotYours`` when the person may not read the category, ``Refused`` with the reason."""
    who = access.person(user)
    actions = category_actions(who, category) if who.signed_in else access.NOTHING
    if "view" not in actions:
        raise access.NotYours
    if action not in actions:
        raise access.Refused(actions.reason(action) or gettext("You may not do this."))
    return actions


# --- expert panels -------------------------------------------------------------------------------------------------


def expert_programme_ids(who: Person) -> frozenset[int]:
    """The programmes whose pool of experts the person is in (read once)."""
    return who.memo("expert_programme_ids", lambda p: frozenset(
        Expert.objects.filter(user_id=p.pk, is_active=True).values_list("programme_id", flat=True))
        if p.signed_in else frozenset())


@access.read_rule(Programme, "declare")
def _programmes_declared_in(who: Person):
    """The programmes where the person declares interests: those they belong to, and those whose pool they are in
    (an expert declares the units they have a stake in, as everyone who scores does)."""
    return Q(pk__in=who.programmes.values("pk")) | Q(pk__in=Expert.objects.filter(
        user_id=who.pk, is_active=True).values("programme_id"))


@access.read_rule(Unit, "declare")
def _units_declared_in(who: Person):
    """The units a person may name in a declaration: those of the programmes where they declare (for an expert,
    the register's names only, which the declaration form needs)."""
    return Q(programme__in=access.restrict(Programme.objects.all(), who.user, "declare").values("pk"))


@access.read_rule(Panel, "view")
def _panels_readable(who: Person):
    """The General Office reads the panels of the programmes it reviews; an expert only the panels they sit on."""
    return (access.in_programmes("programme", who.reviewed_programmes.values("pk"))
            | Q(pk__in=PanelMember.objects.filter(expert__user_id=who.pk).values("panel_id")))


@access.object_rule(Panel)
def _panel_actions(who: Person, panel: Panel) -> Actions:
    """Reviewers of the programme read the whole panel (``scores``) and change its aggregation (``settings``).
    A member ``score``s once; they read the others' scores (``scores``) only after submitting their own."""
    actions = Actions()
    if who.reviews(panel.programme_id):
        actions.allow("view", "scores", "settings")
        return actions.refuse("score", gettext("Only the experts drawn for the panel score."))
    refusal = gettext("Only General Office reviewers may do this.")
    member = who.memo(f"panel_member_{panel.pk}", lambda p: PanelMember.objects.filter(
        panel_id=panel.pk, expert__user_id=p.pk).first())
    if member is None:
        return NOTHING
    actions.allow("view").refuse("settings", refusal)
    submitted = member.submitted_at is not None
    actions.when("score", not submitted, gettext("You have submitted your scores: they are final."))
    actions.when("scores", submitted, gettext("You see the other experts' scores once you have submitted yours."))
    return actions


def require_convene(user, category: IncentiveCategory) -> None:
    """Convening a panel for a category: the General Office of its programme (others: ``NotYours``), never for an
    entitlement (``Refused``)."""
    who = access.person(user)
    if not who.signed_in or not who.reviews(category.measure.document.programme_id):
        raise access.NotYours
    if category.is_entitlement:
        raise access.Refused(gettext("An entitlement has no ranking: every qualifying unit receives it."))
