"""How many awardees a category may have in a year, and so how many nominees its list may hold.

The one home of the rule 每类激励主体数量原则上不超3个 (at most 3 per incentive category and year, in principle):

* ``CAP_IN_PRINCIPLE``: the notice's 3. A category's own cap (``IncentiveCategory.cap``) may be lower, never higher;
* an exception to the cap is the General Office's recorded decision (``CapException``) for one category in one
  year; it raises the limit above the cap, up to ``ABSOLUTE_MAXIMUM``;
* ``category_limit``: the limit in force for a category in a year (the exception's new limit, else the cap);
* ``list_length``: a list may hold as many nominees as the limit in force, so that an exception can be used;
* an *entitlement* (``IncentiveCategory.kind``) has no cap: every qualifying unit receives it. Its list holds as
  many nominees as qualify: whatever it holds, and ``ENTITLEMENT_ROWS_MORE`` more each time it is saved (measure 9:
  every approved platform); its awards take no slot;
* ``exception_limit_check``: the limit an exception may set, whether a bureau asks for it or the General Office
  records it: a whole number, more than the category's cap, at most ``ABSOLUTE_MAXIMUM``.

The database holds the same numbers: nominee ranks are at least 1, award slots between 1 and ``ABSOLUTE_MAXIMUM``, a
category's cap between 1 and ``CAP_IN_PRINCIPLE``, and an award slot above ``CAP_IN_PRINCIPLE`` must cite a
recorded exception (see the constraints of ``Nominee``, ``Award``, ``IncentiveCategory`` and ``CapException``).
"""

from django.apps import apps
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from incentives.errors import DomainError

CAP_IN_PRINCIPLE = 3
# No exception may raise a category's limit above this: a guard against a typing slip, not a policy.
ABSOLUTE_MAXIMUM = 10
# An entitlement's list is not a ranking of the few best: it grows by this many rows at a time, without a ceiling.
ENTITLEMENT_ROWS_MORE = 10


def limit_in_force(*, cap: int, exception_limit: int | None) -> int:
    """The limit when the category's cap is ``cap`` and an exception (if any) allows ``exception_limit``."""
    return exception_limit if exception_limit is not None else cap


def category_limit(*, category, year: int) -> int:
    """The number of awardees ``category`` may have in ``year``: a recorded exception's new limit, else its cap."""
    # Looked up through the app registry: models.py imports this module for the numbers above.
    exception_limit = (apps.get_model("measures", "CapException").objects.filter(category=category, year=year)
                       .values_list("new_limit", flat=True).first())
    return limit_in_force(cap=category.cap, exception_limit=exception_limit)


def exception_limit_annotation(*, year: int, category_ref: str = "pk") -> Subquery:
    """For a queryset of categories: the new limit of the year's exception, or NULL (then the cap applies).
    Annotated as ``exception_limit``, it lets a page know a category's limit without a query of its own."""
    exceptions = apps.get_model("measures", "CapException").objects.filter(category_id=OuterRef(category_ref), year=year)
    return Subquery(exceptions.values("new_limit")[:1])


def is_capped(category) -> bool:
    """Whether the cap counts for the category: a selection, not an entitlement."""
    return getattr(category, "kind", "selection") != "entitlement"


def list_length(*, category, year: int, held: int = 0) -> int:
    """How many nominees the category's list may hold in ``year``: as many as may be awarded. An entitlement's list,
    holding ``held`` nominees, may take ``ENTITLEMENT_ROWS_MORE`` more: every qualifying unit, however many.

    A category annotated with ``exception_limit_annotation`` is answered without a query."""
    if not is_capped(category):
        return held + ENTITLEMENT_ROWS_MORE
    if hasattr(category, "exception_limit"):
        return limit_in_force(cap=category.cap, exception_limit=category.exception_limit)
    return category_limit(category=category, year=year)


def cap_refusal_message(*, category, limit: int, count: int) -> str:
    return _("Category %(code)s already has %(count)s awardee(s), its limit for this cycle is %(limit)s "
             "(每类激励主体数量原则上不超3个, at most 3 per category and year in principle). "
             "A further approval needs an exception to the cap recorded by the General Office.") % {
        "code": category.code, "count": count, "limit": limit}


def list_length_message(*, limit: int) -> str:
    return _("A list has at most %(max)s nominees: the notice allows no more than 3 per category and year, "
             "unless the General Office records an exception.") % {"max": limit}


def exception_limit_check(*, category, value, field: str = "new_limit") -> int:
    """The limit an exception to ``category``'s cap would set, as a whole number: asked for by a bureau
    (``field="requested_limit"``) or recorded by the General Office (``field="new_limit"``, the default).

    Refused (``DomainError`` on ``field``): an entitlement, which has no cap to exceed; a value that is not a whole
    number; a limit not above the category's cap, or above ``ABSOLUTE_MAXIMUM``."""
    if not is_capped(category):
        raise DomainError(_("Category %(code)s is an entitlement: it has no cap to exceed.") % {"code": category.code},
                          field=field)
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("Give the new limit as a whole number."), field=field) from None
    if not (category.cap < limit <= ABSOLUTE_MAXIMUM):
        raise DomainError(_("An exception raises the limit above the cap of %(cap)s, to at most %(max)s.")
                          % {"cap": category.cap, "max": ABSOLUTE_MAXIMUM}, field=field)
    return limit
