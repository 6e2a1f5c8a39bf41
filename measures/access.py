"""The catalogue's rules at the door (``organisation.access``): who reads which categories' lists, comments on
them and prepares them, and who reads which implementation rules.

What a bureau may do with a category is held by its group's object permissions (django-guardian rows written from
``Responsibility`` by ``measures.permissions``); reviewers and administrators see every category of their
programmes. ``measures.permissions.rights`` answers the same for one category in one query."""

from guardian.shortcuts import get_objects_for_user

from organisation import access
from organisation.access import Actions, Person
from organisation.permissions import COMMENT, NOMINATE, VIEW

from .models import ImplementationRules, IncentiveCategory, Measure, PolicyDocument


def _granted(who: Person, perm: str):
    """The categories the person's bureau groups (or their own rows) hold ``perm`` on, as a subquery."""
    return get_objects_for_user(who.user, f"measures.{perm}", klass=IncentiveCategory.objects.all(),
                                with_superuser=False, accept_global_perms=False).values("pk")


@access.read_rule(IncentiveCategory, "view")
def _categories_readable(who: Person):
    """Their bureaus' categories (any responsibility); reviewers and administrators: all of their programmes'."""
    if who.is_reviewer or who.is_administrator:
        return access.in_programmes("measure__document__programme", who.programmes.values("pk"))
    return access.in_programmes("pk", _granted(who, VIEW))


@access.read_rule(IncentiveCategory, "comment")
def _categories_commentable(who: Person):
    return access.in_programmes("pk", _granted(who, COMMENT))


@access.read_rule(IncentiveCategory, "nominate")
def _categories_prepared(who: Person):
    """The categories whose lists the person's bureaus prepare (lead, separately or jointly responsible)."""
    return access.in_programmes("pk", _granted(who, NOMINATE))


@access.read_rule(IncentiveCategory, "files")
def _categories_files_readable(who: Person):
    """The categories whose lists' evidence files the person reads: their bureaus' (any responsibility) and every
    category of the programmes they review. Not the administrators' roles: they see the lists, not the files."""
    from django.db.models import Q

    return Q(pk__in=_granted(who, VIEW)) | Q(measure__document__programme__in=who.reviewed_programmes.values("pk"))


@access.read_rule(PolicyDocument, "view")
def _documents_readable(who: Person):
    return access.in_programmes("programme", who.programmes.values("pk"))


@access.read_rule(Measure, "view")
def _measures_readable(who: Person):
    return access.in_programmes("document__programme", who.programmes.values("pk"))


@access.read_rule(ImplementationRules, "view")
def _rules_readable(who: Person):
    """The bureau that filed them, the reviewers of their programme; once accepted, every bureau of the programme.
    Not the administrators' roles (least privilege: the files are the bureaus' and the General Office's)."""
    from django.db.models import Q

    return (Q(bureau__in=who.bureaus.values("pk"))
            | Q(measure__document__programme__in=who.reviewed_programmes.values("pk"))
            | Q(state=ImplementationRules.State.ACCEPTED,
                measure__document__programme__in=who.clerk_programmes.values("pk")))


@access.read_rule(ImplementationRules, "review")
def _rules_reviewed(who: Person):
    return access.in_programmes("measure__document__programme", who.reviewed_programmes.values("pk"))


@access.object_rule(ImplementationRules)
def _rules_actions(who: Person, rules: ImplementationRules) -> Actions:
    from django.utils.translation import gettext

    programme_id = rules.measure.document.programme_id
    reviewer = who.reviews(programme_id)
    actions = Actions()
    if reviewer or rules.bureau_id in who.bureau_ids or (
            rules.state == ImplementationRules.State.ACCEPTED and programme_id in access.clerk_programme_ids(who)):
        actions.allow("view")
    if reviewer:
        actions.when("decide", rules.state == ImplementationRules.State.SUBMITTED,
                     lambda: gettext("These rules have been reviewed already."))
    return actions


@access.read_rule(IncentiveCategory, "review")
def _categories_reviewed(who: Person):
    """The categories of the programmes the person reviews (the General Office's pages)."""
    return access.in_programmes("measure__document__programme", who.reviewed_programmes.values("pk"))
