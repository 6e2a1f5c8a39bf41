"""The evaluation's rules at the door (``organisation.access``): who reads a category's criteria and sheet, who
files the criteria and enters values (the bureaus that prepare the category's list), who reviews the criteria
(the General Office of the programme), who reads the declarations of interest.

Whether one person may score or decide one *unit* (回避) is not a rule of the door but of the declarations:
``evaluation.services.recusal_check``, asked by every service that scores or decides a unit."""

from django.db.models import Q
from django.utils.translation import gettext

from measures.models import IncentiveCategory
from measures.permissions import NOMINATE, VIEW, rights
from organisation import access
from organisation.access import Actions, Person

from .models import Criteria, Declaration, IndicatorEvidence


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
    """Who recused from what is no secret inside the programme: its people read the declarations."""
    return access.in_programmes("programme", who.programmes.values("pk"))


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
