"""The General Office's rules at the door (``organisation.access``): reviews, awards and their funds, the register
of higher-level incentives, objections and bulletins. Every rule is of one programme: a reviewer reviews the
programmes that list them, the finance role is the programme's finance bureau (``Programme.finance_bureau``),
the register clerks are the members of the programme's bureaus responsible for a category that higher-level
incentives earn (measure 32's bureaus in Guangzhou). What may change in which phase is
``nominations.phases.PHASE_CHANGES``."""

from django.db.models import Q
from django.utils.translation import gettext

from measures.models import Responsibility
from nominations.models import Cycle
from nominations.phases import Change, phase_allows, phase_refusal
from organisation import access
from organisation.access import Actions, Person
from organisation.models import Programme

from .models import Award, Bulletin, Disbursement, HigherAward, Objection, ScreeningEvent, ScreeningSettlement


def register_programmes(who: Person):
    """The programmes where the person keeps the register of higher-level incentives (a lazy queryset)."""
    if not who.signed_in:
        return Programme.objects.none()
    keeping = Responsibility.objects.filter(bureau__memberships__user_id=who.pk,
                                            category__earned_by_higher_award=True).values("bureau__programme_id")
    return Programme.objects.filter(pk__in=keeping)


def register_programme_ids(who: Person) -> frozenset[int]:
    return who.memo("register_programme_ids",
                    lambda p: frozenset(register_programmes(p).values_list("pk", flat=True)))


@access.read_rule(Programme, "register")
def _programmes_registered(who: Person):
    """The programmes whose register the person opens: its reviewers and its register clerks."""
    return Q(pk__in=who.reviewed_programmes.values("pk")) | Q(pk__in=register_programmes(who).values("pk"))


@access.read_rule(Cycle, "register")
def _cycles_registered(who: Person):
    return (Q(programme__in=who.reviewed_programmes.values("pk"))
            | Q(programme__in=register_programmes(who).values("pk")))


@access.read_rule(Award, "view")
def _awards_reviewed(who: Person):
    return access.in_programmes("cycle__programme", who.reviewed_programmes.values("pk"))


@access.read_rule(Award, "funds")
def _awards_in_the_ledger(who: Person):
    """The awards of the funds ledgers the person keeps: reviewers' and the finance bureau's, programme by
    programme."""
    return (Q(cycle__programme__in=who.reviewed_programmes.values("pk"))
            | Q(cycle__programme__in=who.finance_programmes.values("pk")))


@access.read_rule(Disbursement, "view")
def _disbursements_readable(who: Person):
    return Q(award__in=access.restrict(Award.objects.all(), who.user, "funds").values("pk"))


@access.object_rule(Award)
def _award_actions(who: Person, award: Award) -> Actions:
    """On an award's funds page: reviewers and the finance staff of its programme set the amount pledged; the
    finance staff enter disbursements."""
    programme_id = award.cycle.programme_id
    reviewer, finance = who.reviews(programme_id), programme_id in who.finance_programme_ids
    actions = Actions()
    if not (reviewer or finance):
        return actions
    actions.allow("view")
    funds_open = phase_allows(award.cycle, Change.FUNDS)
    actions.when("set_amount", funds_open, lambda: phase_refusal(award.cycle, Change.FUNDS))
    if finance:
        actions.when("disburse", funds_open, lambda: phase_refusal(award.cycle, Change.FUNDS))
    else:
        actions.refuse("disburse", gettext("Only the finance bureau's staff enter disbursements."))
    return actions


@access.read_rule(HigherAward, "view")
def _register_readable(who: Person):
    return (Q(cycle__programme__in=who.reviewed_programmes.values("pk"))
            | Q(cycle__programme__in=register_programmes(who).values("pk")))


@access.object_rule(HigherAward)
def _register_entry_actions(who: Person, entry: HigherAward) -> Actions:
    """A reviewer of the entry's programme confirms a recorded entry while the phase lets the register change."""
    programme_id = entry.cycle.programme_id
    actions = Actions()
    if not (who.reviews(programme_id) or programme_id in register_programme_ids(who)):
        return actions
    actions.allow("view")
    if not who.reviews(programme_id):
        return actions.refuse("confirm", gettext("Only General Office reviewers may do this."))
    if entry.state == HigherAward.State.CONFIRMED:
        return actions.refuse("confirm", gettext("This entry is confirmed already."))
    return actions.when("confirm", phase_allows(entry.cycle, Change.REGISTER),
                        lambda: phase_refusal(entry.cycle, Change.REGISTER))


def register_keeper(who: Person, programme_id) -> bool:
    """Whether the person records register entries in the programme (its reviewers and register clerks)."""
    return who.reviews(programme_id) or programme_id in register_programme_ids(who)


@access.read_rule(Objection, "view")
def _objections_readable(who: Person):
    return access.in_programmes("cycle__programme", who.reviewed_programmes.values("pk"))


@access.object_rule(Objection)
def _objection_actions(who: Person, objection: Objection) -> Actions:
    """The reviewers of the objection's programme read it and settle it. The objector's personal data (name,
    contact, e-mail) is theirs to read in full (``personal_data``) until it is removed after the retention period;
    nobody else reads it, administrators included (lists show it masked)."""
    actions = Actions()
    if not who.reviews(objection.cycle.programme_id):
        return actions
    actions.allow("view")
    actions.when("personal_data", objection.personal_data_removed_at is None,
                 lambda: gettext("The objector's personal data was removed after the retention period."))
    if objection.status != Objection.Status.OPEN:
        return actions.refuse("settle", gettext("Objection %(receipt)s is already settled.") % {"receipt": objection.receipt})
    return actions.when("settle", phase_allows(objection.cycle, Change.OBJECTIONS),
                        lambda: phase_refusal(objection.cycle, Change.OBJECTIONS))


@access.read_rule(Bulletin, "view")
def _bulletins_readable(who: Person):
    return access.in_programmes("cycle__programme", who.reviewed_programmes.values("pk"))


@access.read_rule(ScreeningEvent, "view")
def _screening_events_readable(who: Person):
    """The register of screening events (负面清单) is the General Office's: the reviewers of its programme."""
    return access.in_programmes("programme", who.reviewed_programmes.values("pk"))


@access.read_rule(ScreeningSettlement, "view")
def _screening_settlements_readable(who: Person):
    return access.in_programmes("cycle__programme", who.reviewed_programmes.values("pk"))


@access.read_rule(Cycle, "dossier")
def _cycles_with_dossiers(who: Person):
    """The cycles whose dossiers (一事一档) the person downloads: the reviewers of its programme, and the audit
    administrator (deployment-wide, like the audit trail)."""
    if who.is_audit_administrator:
        return True
    return access.in_programmes("programme", who.reviewed_programmes.values("pk"))


# --- The gates of the pages without an object in their address (``access.door``) --------------------------------


def funds_keepers(who: Person) -> bool:
    """The funds ledger's pages: a reviewer, or the finance bureau's staff of some programme."""
    return who.is_reviewer or bool(who.finance_programme_ids)


def register_keepers(who: Person) -> bool:
    """The register's pages: a reviewer, or a register clerk of some programme."""
    return who.is_reviewer or bool(register_programme_ids(who))


def dossier_readers(who: Person) -> bool:
    """The dossiers' pages: a reviewer, or the audit administrator."""
    return who.is_reviewer or who.is_audit_administrator
