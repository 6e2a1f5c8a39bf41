"""The access door: which objects a person may read, and what they may do with one object now.

Every selector, service, view and template asks here, and nowhere else:

* ``restrict(queryset, user, action="view")``: the rows of the queryset's model the person may ``action``
  (NetBox's ``RestrictedQuerySet.restrict``). One SQL condition, no query of its own.
* ``get(queryset, user, pk=…)``: one object the person may read, or ``NotYours`` (answered 404, so nothing
  tells an outsider that it exists).
* ``actions_for(user, obj)``: what the person may do with ``obj`` now (an ``Actions``: ``"decide" in actions``),
  each refused action with its reason. It knows the role, the programme, the bureau's responsibility and the
  phase of the cycle (``nominations.phases.PHASE_CHANGES``).
* ``require(user, action, obj)``: a service's guard before it writes: ``NotYours`` when the person may not even
  read the object, ``Refused`` (with the rule's reason) when they may read it but not do this now. A view's 404
  is never the only guard.

The facts about a person (``Person``: roles, programmes, bureaus, the programme roles) are read once per request
and kept on the user object. The rules themselves are registered by the app that owns each model, in its
``access.py`` (``organisation``, ``measures``, ``nominations``, ``reviews``), loaded when the app is ready: imports
still run one way (a rule of ``reviews`` may use ``nominations``' phases; this module imports no app above it).
A model without a rule for an action is a programming error (``LookupError``), never an open door.

Views use ``organisation.access.door`` (sign-in, then the 404 and the refusal handled once, by
``incentives.middleware.AccessDoorMiddleware``: ``NotYours`` is Django's 404, ``Refused`` the page's message).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Exists, Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from incentives.errors import PermissionDeniedError

from . import roles
from .models import Bureau, Programme, Unit


class NotYours(Http404):
    """The object is not the person's to see (another programme, another bureau, or no such object)."""

    subject = ""  # what was asked for ("app.model:id"), for the audit record of the refusal


class Refused(PermissionDeniedError):
    """The person sees the object, but a rule refuses this action now; the message says why."""

    subject = ""


def _subject(model, lookup) -> str:
    return f"{model._meta.label_lower}:{lookup}"[:200]


# --- The person ---------------------------------------------------------------------------------------------------


class Person:
    """What the rules need to know about a signed-in person, each fact read at most once (kept for the request).

    The programme facts come two ways: ``*_programmes`` is a lazy queryset, used inside a rule's condition as a
    subquery (no query of its own: a scoped page costs no extra query); ``*_programme_ids`` is the same set read
    once, for the rules about one object."""

    def __init__(self, user):
        self.user = user
        self.signed_in = bool(user is not None and user.is_authenticated and user.is_active)
        self._memo: dict[str, object] = {}

    @property
    def pk(self):
        return self.user.pk if self.signed_in else None

    @cached_property
    def is_reviewer(self) -> bool:
        return self.signed_in and roles.is_reviewer(self.user)

    @cached_property
    def is_administrator(self) -> bool:
        """The system administrator (a superuser is not one: ``roles``)."""
        return self.signed_in and roles.is_administrator(self.user)

    @cached_property
    def is_audit_administrator(self) -> bool:
        return self.signed_in and roles.is_audit_administrator(self.user)

    @cached_property
    def is_deployment_wide(self) -> bool:
        """Administrators keep the whole deployment (every programme's catalogue and cycles)."""
        return self.signed_in and (roles.is_administrator(self.user)
                                   or roles.is_security_administrator(self.user) or self.is_audit_administrator)

    # The person's bureaus (a clerk's)
    @cached_property
    def bureaus(self) -> QuerySet[Bureau]:
        if not self.signed_in:
            return Bureau.objects.none()
        return Bureau.objects.filter(memberships__user_id=self.user.pk)

    @cached_property
    def bureau_ids(self) -> frozenset[int]:
        return frozenset(self.bureaus.values_list("pk", flat=True))

    @cached_property
    def led_bureaus(self) -> QuerySet[Bureau]:
        """The bureaus the person leads (signs off their lists: ``organisation.roles``)."""
        if not self.signed_in:
            return Bureau.objects.none()
        return Bureau.objects.filter(memberships__user_id=self.user.pk, memberships__is_leader=True)

    @cached_property
    def led_bureau_ids(self) -> frozenset[int]:
        return frozenset(self.led_bureaus.values_list("pk", flat=True))

    # The programmes, by role
    @cached_property
    def clerk_programmes(self) -> QuerySet[Programme]:
        """The programmes of the person's bureaus: where they are a clerk."""
        return Programme.objects.filter(pk__in=self.bureaus.values("programme_id"))

    def _holds(self, *role_names: str) -> Exists:
        """The person holds one of ``role_names``, as SQL (no query of its own)."""
        groups = get_user_model().groups.through.objects.filter(user_id=self.user.pk, group__name__in=role_names)
        return Exists(groups)

    @cached_property
    def reviewed_programmes(self) -> QuerySet[Programme]:
        """The programmes the person reviews: those listing them among their reviewers, or the default programme
        when none does (as every reviewer did before there was more than one). The role is read in the same SQL."""
        if not self.signed_in:
            return Programme.objects.none()
        listed = Programme.reviewers.through.objects.filter(user_id=self.user.pk)
        return Programme.objects.filter(self._holds(roles.REVIEWER)).filter(
            Q(pk__in=listed.values("programme_id")) | (Q(is_default=True) & ~Exists(listed)))

    @cached_property
    def finance_programmes(self) -> QuerySet[Programme]:
        """The programmes whose finance bureau the person belongs to (the programme's finance role)."""
        if not self.signed_in:
            return Programme.objects.none()
        return Programme.objects.filter(finance_bureau__memberships__user_id=self.user.pk)

    @cached_property
    def programmes(self) -> QuerySet[Programme]:
        """Every programme the person belongs to, whatever the role (administrators: every one). Roles are read
        in the same SQL: used as ``programme__in=`` it is a subquery, so scoping a read adds no query."""
        if not self.signed_in:
            return Programme.objects.none()
        return Programme.objects.filter(Q(self._holds(*roles.ADMINISTRATOR_ROLES))
                                        | Q(pk__in=self.clerk_programmes.values("pk"))
                                        | Q(pk__in=self.reviewed_programmes.values("pk")))

    @cached_property
    def reviewed_programme_ids(self) -> frozenset[int]:
        return frozenset(self.reviewed_programmes.values_list("pk", flat=True)) if self.signed_in else frozenset()

    @cached_property
    def finance_programme_ids(self) -> frozenset[int]:
        return frozenset(self.finance_programmes.values_list("pk", flat=True)) if self.signed_in else frozenset()

    @cached_property
    def programme_ids(self) -> frozenset[int]:
        return frozenset(self.programmes.values_list("pk", flat=True)) if self.signed_in else frozenset()

    def reviews(self, programme_id) -> bool:
        """Whether the person reviews that programme (the role first: no query for anyone else)."""
        return self.is_reviewer and programme_id in self.reviewed_programme_ids

    def memo(self, name: str, compute: Callable[[Person], object]):
        """A fact an app's rules compute (e.g. the programmes where the person keeps the register), read once."""
        if name not in self._memo:
            self._memo[name] = compute(self)
        return self._memo[name]


def clerk_programme_ids(who: Person) -> frozenset[int]:
    """The programmes of the person's bureaus, read once."""
    return who.memo("clerk_programme_ids",
                    lambda p: frozenset(p.clerk_programmes.values_list("pk", flat=True)) if p.signed_in else frozenset())


def opens_programme_files(who: Person) -> bool:
    """Whether the person's roles open the programmes' files at all (evidence, implementation rules): bureau
    staff and reviewers; the administrators' roles alone do not (least privilege). For showing links: each file
    is still asked of the door when it is downloaded."""
    return who.signed_in and (who.is_reviewer or not who.is_deployment_wide)


def reviewer_programme_ids(user, *, default_id: int) -> set[int]:
    """The programmes a reviewer reviews, for a planner going through many people: from their prefetched
    ``reviewed_programmes`` (the default programme when none lists them), no query of its own."""
    ids = {programme.pk for programme in user.reviewed_programmes.all()}
    return ids or {default_id}


def person(user) -> Person:
    """The person behind ``user``, kept on the user object for the rest of the request."""
    if user is None:
        return Person(None)
    cached = getattr(user, "_access_person", None)
    if cached is None:
        cached = Person(user)
        try:
            user._access_person = cached
        except AttributeError:  # AnonymousUser accepts attributes too; anything else is asked afresh
            pass
    return cached


def forget(user) -> None:
    """Drop the facts kept on ``user`` (after its roles or memberships changed within one request or test)."""
    for attribute in ("_access_person", "_role_names"):
        if hasattr(user, attribute):
            delattr(user, attribute)


# --- What one person may do with one object -------------------------------------------------------------------


class Actions:
    """The actions a person may take on one object now, and why each other one is refused.

    ``"decide" in actions`` in code and templates; ``actions.reason("decide")`` for the refusal's message."""

    __slots__ = ("_allowed", "_refused")

    def __init__(self, allowed: Iterable[str] = ()):
        self._allowed: set[str] = set(allowed)
        self._refused: dict[str, str] = {}

    def allow(self, *names: str) -> Actions:
        self._allowed.update(names)
        for name in names:
            self._refused.pop(name, None)
        return self

    def refuse(self, name: str, reason) -> Actions:
        self._allowed.discard(name)
        self._refused[name] = reason
        return self

    def when(self, name: str, allowed: bool, reason) -> Actions:
        """Allow ``name`` when ``allowed``, else refuse it with ``reason`` (a string, or a callable giving one)."""
        if allowed:
            return self.allow(name)
        return self.refuse(name, reason() if callable(reason) else reason)

    def __contains__(self, name) -> bool:
        return name in self._allowed

    def __iter__(self):
        return iter(sorted(self._allowed))

    def __bool__(self) -> bool:
        return bool(self._allowed)

    def __repr__(self):
        return f"Actions({sorted(self._allowed)})"

    def reason(self, name: str) -> str | None:
        return self._refused.get(name)


NOTHING = Actions()

# model → action → rule(person) → Q (rows readable), True (every row) or False (none)
_READ_RULES: dict[type[Model], dict[str, Callable[[Person], Q | bool]]] = {}
# model → rule(person, obj) → Actions
_OBJECT_RULES: dict[type[Model], Callable[[Person, Model], Actions]] = {}
# models whose rows anyone may read, signed in or not, under their rule (the public results)
_PUBLIC_ACTIONS: set[tuple[type[Model], str]] = set()


def read_rule(model: type[Model], *actions: str, public: bool = False):
    """Register the rows of ``model`` a person may ``actions`` (``view`` by default). ``public`` rules are asked
    for signed-out visitors too; every other rule sees only signed-in, active people."""

    def register(rule):
        for action in actions or ("view",):
            _READ_RULES.setdefault(model, {})[action] = rule
            if public:
                _PUBLIC_ACTIONS.add((model, action))
        return rule

    return register


def object_rule(model: type[Model]):
    """Register what a person may do with one object of ``model`` now."""

    def register(rule):
        _OBJECT_RULES[model] = rule
        return rule

    return register


def restrict(queryset: QuerySet, user, action: str = "view") -> QuerySet:
    """The rows of ``queryset`` the person may ``action``: the door of every read scoped to a person."""
    model = queryset.model
    try:
        rule = _READ_RULES[model][action]
    except KeyError:
        raise LookupError(f"No access rule for {model._meta.label} “{action}”: add one in its app's access.py") from None
    who = person(user)
    if not who.signed_in and (model, action) not in _PUBLIC_ACTIONS:
        return queryset.none()
    condition = rule(who)
    if condition is True:
        return queryset
    if condition is False or condition is None:
        return queryset.none()
    return queryset.filter(condition)


def get(queryset: QuerySet, user, action: str = "view", **lookup):
    """One object the person may ``action``, or ``NotYours``; a malformed lookup value is no object either."""
    try:
        return restrict(queryset, user, action).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError, OverflowError):
        error = NotYours()
        error.subject = _subject(queryset.model, " ".join(f"{key}={value}" for key, value in lookup.items()))
        raise error from None


def actions_for(user, obj) -> Actions:
    """What the person may do with ``obj`` now (nothing when signed out or for no object)."""
    if obj is None:
        return NOTHING
    rule = _OBJECT_RULES.get(type(obj)._meta.concrete_model)
    if rule is None:
        raise LookupError(f"No object rule for {type(obj)._meta.label}: add one in its app's access.py")
    who = person(user)
    if not who.signed_in:
        return NOTHING
    return rule(who, obj)


def can(user, action: str, obj) -> bool:
    return action in actions_for(user, obj)


def require(user, action: str, obj) -> Actions:
    """A service's guard before it writes: ``NotYours`` when the person may not read ``obj`` at all (so the
    service answers as if it did not exist), ``Refused`` with the rule's reason when this action is not theirs
    now. Returns the person's actions."""
    actions = actions_for(user, obj)
    if "view" not in actions:
        error = NotYours()
    elif action not in actions:
        error = Refused(actions.reason(action) or gettext("You may not do this."))
    else:
        return actions
    error.subject = _subject(type(obj), getattr(obj, "pk", ""))
    raise error


# --- Programme scoping every rule shares -----------------------------------------------------------------------


def in_programmes(path: str, programme_ids: Iterable[int]) -> Q:
    """``<path>__in=ids``: rows of the person's programmes (``path`` leads from the model to ``programme_id``)."""
    if not isinstance(programme_ids, QuerySet):
        programme_ids = list(programme_ids)
    return Q(**{f"{path}__in": programme_ids})


# --- The views' door ---------------------------------------------------------------------------------------------


def door(gate: Callable[[Person], bool] | None = None):
    """The one decorator of a signed-in page: a visitor is sent to sign in; a person the ``gate`` (a fact about
    them, e.g. ``reviewers``) does not let in is told the page does not exist (404). The page's object is then
    asked of the door (``get``, ``require``); ``NotYours`` answers 404 and a refusal is answered by
    ``incentives.middleware.AccessDoorMiddleware``, so a view has no try/except of its own for either."""
    from functools import wraps

    from django.contrib.auth.decorators import login_required

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if gate is not None and not gate(person(request.user)):
                raise NotYours
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def reviewers(who: Person) -> bool:
    """Gate of the General Office's pages."""
    return who.is_reviewer


# --- The organisation's own rules -----------------------------------------------------------------------------


@read_rule(Bureau, "member")
def _bureaus_of_person(who: Person):
    """The bureaus the person belongs to (a clerk's)."""
    return Q(pk__in=who.bureaus.values("pk"))


@read_rule(Unit, "view")
def _units_readable(who: Person):
    """The register of units is shared by every signed-in person of a programme (a bureau proposes districts,
    hospitals … it does not own), but is not public."""
    return Q(programme__in=who.programmes.values("pk"))


@read_rule(Programme, "view")
def _programmes_of_person(who: Person):
    return Q(pk__in=who.programmes.values("pk"))


@read_rule(Programme, "review")
def _programmes_reviewed(who: Person):
    return Q(pk__in=who.reviewed_programmes.values("pk"))


@read_rule(Programme, "funds")
def _programmes_funded(who: Person):
    """The programmes whose funds ledger the person keeps: its reviewers and its finance bureau's staff."""
    return Q(pk__in=who.reviewed_programmes.values("pk")) | Q(pk__in=who.finance_programmes.values("pk"))
