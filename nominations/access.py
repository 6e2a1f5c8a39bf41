"""The nominations' rules at the door (``organisation.access``): cycles, lists, evidence and the bureaus'
requests for an exception to the cap. What may change in which phase is ``nominations.phases.PHASE_CHANGES``."""

from django.db.models import Q
from django.utils.translation import gettext

from measures.models import IncentiveCategory
from organisation import access
from organisation.access import Actions, Person

from .models import CapExceptionRequest, Cycle, Evidence, NominationList
from .phases import ADMINISTRATOR, CYCLE_TRANSITIONS, REVIEWER, Change, phase_allows, phase_refusal


@access.read_rule(Cycle, "view")
def _cycles_readable(who: Person):
    return access.in_programmes("programme", who.programmes.values("pk"))


@access.read_rule(Cycle, "review")
def _cycles_reviewed(who: Person):
    """The cycles whose review pages the person opens: those of the programmes they review (by their ids, read
    once per request, as for the lists)."""
    return access.in_programmes("programme", who.reviewed_programme_ids)


@access.read_rule(Cycle, "reopen")
def _cycles_reopened(who: Person):
    """The system administrator reopens a year (of any programme: administrators keep the whole deployment)."""
    return access.in_programmes("programme", who.programmes.values("pk")) if who.is_administrator else False


@access.read_rule(NominationList, "view")
def _lists_readable(who: Person):
    """The lists of the categories the person may read (their bureaus'; reviewers: their programmes')."""
    return Q(category__in=access.restrict(IncentiveCategory.objects.all(), who.user, "view").values("pk"))


@access.read_rule(NominationList, "review")
def _lists_reviewed(who: Person):
    """The lists of the programmes the person reviews, by their ids (read once per request): as a subquery, it made
    the review page's one query of the list, its year, category, measure, bureau and sender take PostgreSQL 18 ms to
    plan, for well under one to run."""
    return access.in_programmes("cycle__programme", who.reviewed_programme_ids)


@access.read_rule(Evidence, "view")
def _evidence_readable(who: Person):
    """The evidence files of the lists of the person's bureaus' categories (any responsibility) and of the
    programmes they review. Least privilege: the administrators' roles alone open no file (the system
    administrator keeps the catalogue and the cycles, not the bureaus' evidence)."""
    return Q(nominee__nomination_list__category__in=access.restrict(IncentiveCategory.objects.all(), who.user,
                                                                    "files").values("pk"))


@access.read_rule(NominationList, "sign_off")
def _lists_signed_off(who: Person):
    """The lists of the bureaus the person leads: theirs to sign off (签发) where the programme requires it."""
    return Q(bureau__in=who.led_bureaus.values("pk"))


@access.read_rule(CapExceptionRequest, "view")
def _requests_readable(who: Person):
    return Q(nomination_list__in=access.restrict(NominationList.objects.all(), who.user, "view").values("pk"))


@access.read_rule(CapExceptionRequest, "decide")
def _requests_decided(who: Person):
    return access.in_programmes("nomination_list__cycle__programme", who.reviewed_programmes.values("pk"))


@access.object_rule(Cycle)
def _cycle_actions(who: Person, cycle: Cycle) -> Actions:
    """What the person may change in the cycle now, by the phase table: a reviewer of its programme decides
    (``decisions``, ``exceptions``, ``register``, ``objections`` …), as ``PHASE_CHANGES`` allows."""
    actions = Actions()
    if who.reviews(cycle.programme_id) or cycle.programme_id in who.programme_ids:
        actions.allow("view")
    if cycle.state == Cycle.State.PUBLISHED:
        actions.allow("results")
    if who.reviews(cycle.programme_id):
        actions.allow("review")
        for change in Change.values:
            actions.when(change, phase_allows(cycle, change), lambda c=change: phase_refusal(cycle, c))
        # The year's next steps, as the phase table of the cycle says (``nominations.phases.CYCLE_TRANSITIONS``);
        # whether the deadlines allow one now is the transition's own check, shown by the pre-flight page.
        for transition in CYCLE_TRANSITIONS:
            if transition.by == REVIEWER and transition.source == cycle.state:
                actions.allow(transition.name)
    if who.is_administrator and cycle.programme_id in who.programme_ids:
        for transition in CYCLE_TRANSITIONS:
            if transition.by == ADMINISTRATOR and transition.source == cycle.state:
                actions.allow(transition.name)
    return actions


@access.object_rule(CapExceptionRequest)
def _request_actions(who: Person, request: CapExceptionRequest) -> Actions:
    """A reviewer of the list's programme grants or refuses a pending request while the phase takes requests."""
    cycle = request.nomination_list.cycle
    actions = Actions()
    if not who.reviews(cycle.programme_id):
        return actions
    actions.allow("view")
    if request.state != CapExceptionRequest.State.PENDING:
        return actions.refuse("decide", gettext("This request has been decided already."))
    return actions.when("decide", phase_allows(cycle, Change.EXCEPTION_REQUESTS),
                        lambda: phase_refusal(cycle, Change.EXCEPTION_REQUESTS))


@access.object_rule(NominationList)
def _list_actions(who: Person, nomination_list: NominationList) -> Actions:
    """The leader of the list's bureau signs it off (签发) or sends it back; in which state, and before which
    deadline, is the state table's (``nominations.states``: the rows taken by ``LEADER``)."""
    actions = Actions()
    if nomination_list.bureau_id in who.led_bureau_ids:
        return actions.allow("view", "sign_off")
    if access.restrict(NominationList.objects.filter(pk=nomination_list.pk), who.user).exists():
        actions.allow("view")
        actions.refuse("sign_off", gettext("Only the leader of the bureau signs off its lists."))
    return actions
