"""When each bureau's lists are due, and who is late: the one home of the deadline rule.

* A cycle has a deadline (by default 31 March of the next year, 23:59:59 Beijing time).
* The General Office may give one bureau a later deadline (an ``Extension``). An extension never makes a
  deadline earlier: a bureau's deadline is the later of the cycle's and its extension's, so moving the cycle's
  deadline later moves every bureau's with it.
* The deadline is exact to the second: anything within the deadline's last second (23:59:59.xxx) is on time,
  00:00:00 is late (``deadline_passed``).

Deadlines are fixed instants (stored aware, in UTC): comparing them depends neither on ``TIME_ZONE`` nor on the
process's ``TZ``; only the display is in Beijing time. Pages, services, the reminder planner and the statistics
all ask this module; the database form of the same rules (``bureau_deadline_expression``,
``deadline_with_extension_expression``, ``submitted_late_expression``) serves querysets.
"""

import datetime

from django.db.models import DateTimeField, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest, TruncSecond
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from incentives.errors import DomainError

from .models import BEIJING, Cycle, Extension
from .working_days import is_working_day


def default_deadline_for(year: int) -> datetime.datetime:
    """Lists for a year's performance are due by the end of March of the next year, Beijing time."""
    return datetime.datetime(year + 1, 3, 31, 23, 59, 59, tzinfo=BEIJING)


def rules_deadline(document) -> datetime.datetime | None:
    """The instant a policy document's implementation rules (实施办法) are due: the last second of its
    ``rules_due_on`` (2023-01-31 for 穗府办〔2022〕30号), Beijing time; None when the document sets no date."""
    if document.rules_due_on is None:
        return None
    day = document.rules_due_on
    return datetime.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=BEIJING)


def current_time() -> datetime.datetime:
    """The clock the deadline rule reads (one place, so tests can set it)."""
    return timezone.now()


def deadline_with_extension(cycle_deadline: datetime.datetime, extension_deadline: datetime.datetime | None):
    """The rule itself: an extension gives a later deadline, never an earlier one."""
    if extension_deadline is None:
        return cycle_deadline
    return max(cycle_deadline, extension_deadline)


def cycle_extensions(cycle: Cycle) -> dict[int, datetime.datetime]:
    """Bureau id → the new deadline its extension gives, for one cycle (one query)."""
    return dict(Extension.objects.filter(cycle=cycle).values_list("bureau_id", "new_deadline"))


def bureau_deadline(*, cycle: Cycle, bureau, extensions: dict | None = None) -> datetime.datetime:
    """The deadline of ``bureau`` (a Bureau or its id) in ``cycle``.

    ``extensions`` (from ``cycle_extensions``) lets a page that shows many bureaus load them once."""
    bureau_id = getattr(bureau, "pk", bureau)
    if extensions is None:
        extension = (Extension.objects.filter(cycle=cycle, bureau_id=bureau_id)
                     .values_list("new_deadline", flat=True).first())
    else:
        extension = extensions.get(bureau_id)
    return deadline_with_extension(cycle.deadline, extension)


def deadline_passed(*, deadline: datetime.datetime, now: datetime.datetime | None = None) -> bool:
    """True from the second after the deadline on. The fraction of a second is dropped: 23:59:59.999 is on time."""
    now = now or current_time()
    return now.replace(microsecond=0) > deadline


def is_late(*, cycle: Cycle, bureau, now: datetime.datetime | None = None, extensions: dict | None = None) -> bool:
    """The bureau's deadline in the cycle has passed (whether it has submitted is the caller's question)."""
    return deadline_passed(deadline=bureau_deadline(cycle=cycle, bureau=bureau, extensions=extensions), now=now)


def submitted_late(*, submitted_at: datetime.datetime | None, deadline: datetime.datetime) -> bool:
    """A submission counts as late by the same rule as the refusal: after the deadline's last second."""
    return submitted_at is not None and deadline_passed(deadline=deadline, now=submitted_at)


def deadline_with_extension_expression(cycle_deadline, extension_deadline):
    """``deadline_with_extension`` as a database expression, from two expressions (the extension's NULL when
    there is none): Greatest(cycle's deadline, the extension's deadline or else the cycle's)."""
    return Greatest(cycle_deadline, Coalesce(extension_deadline, cycle_deadline), output_field=DateTimeField())


def bureau_deadline_expression(*, cycle_field: str = "cycle", bureau_field: str = "bureau"):
    """The same rule as a database expression, for a queryset whose rows have a cycle and a bureau
    (e.g. nomination lists): Greatest(cycle's deadline, the extension's deadline when there is one)."""
    extension = Extension.objects.filter(cycle_id=OuterRef(f"{cycle_field}_id"), bureau_id=OuterRef(f"{bureau_field}_id"))
    return deadline_with_extension_expression(F(f"{cycle_field}__deadline"),
                                              Subquery(extension.values("new_deadline")[:1]))


class _WholeSecond(TruncSecond):
    """An instant with its fraction of a second dropped, in UTC. On SQLite (instants stored as UTC text,
    "YYYY-MM-DD HH:MM:SS.ffffff") the first 19 characters, instead of a Python function called per row."""

    def __init__(self, expression):
        super().__init__(expression, tzinfo=datetime.UTC)

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"SUBSTR({sql}, 1, 19)", params


def submitted_late_expression(*, submitted_at, deadline):
    """``submitted_late`` as a database condition (for ``When``, ``filter``, ``Q``): the submission's instant with
    the fraction of a second dropped is after the deadline; 23:59:59.999 is on time, 00:00:00 late. A NULL
    ``submitted_at`` (never submitted) is not late. Truncated in UTC: a second is a second in every zone."""
    if isinstance(submitted_at, str):
        submitted_at = F(submitted_at)
    return GreaterThan(_WholeSecond(submitted_at), deadline)


def countdown(*, deadline: datetime.datetime, now: datetime.datetime | None = None) -> dict:
    """Days, hours and minutes left until ``deadline`` by the rule above (all zero once it has passed), for the
    pages' countdowns."""
    now = now or current_time()
    passed = deadline_passed(deadline=deadline, now=now)
    left = 0 if passed else max(int((deadline - now).total_seconds()), 0)
    return {"passed": passed, "days": left // 86400, "hours": left % 86400 // 3600, "minutes": left % 3600 // 60,
            "deadline": deadline}


# The deadline lights (督查督办's 红黄绿灯): green while the deadline is far, yellow from the programme's number of
# working days before it (``ReminderSettings.warning_working_days``), red once it has passed; a list that is done
# (submitted, decided) has no light.
GREEN, YELLOW, RED = "green", "yellow", "red"
DEFAULT_WARNING_WORKING_DAYS = 5


def _working_day(day: datetime.date) -> bool:
    """A working day by the official calendar; Monday to Friday for a year the calendar does not know yet (a light
    is a hint, never a reason to refuse a page)."""
    try:
        return is_working_day(day)
    except DomainError:
        return day.weekday() < 5


def working_days_left(*, deadline: datetime.datetime, now: datetime.datetime, limit: int) -> int:
    """The working days after today up to the deadline's day (Beijing dates), counted up to ``limit`` + 1."""
    day, last, counted = beijing(now).date(), beijing(deadline).date(), 0
    while day < last and counted <= limit:
        day += datetime.timedelta(days=1)
        if _working_day(day):
            counted += 1
    return counted


def deadline_light(*, deadline: datetime.datetime, now: datetime.datetime | None = None,
                   warning_working_days: int = DEFAULT_WARNING_WORKING_DAYS, done: bool = False) -> str:
    """green, yellow or red for a deadline still owed (empty when ``done``)."""
    if done:
        return ""
    now = now or current_time()
    if deadline_passed(deadline=deadline, now=now):
        return RED
    left = working_days_left(deadline=deadline, now=now, limit=warning_working_days)
    return YELLOW if left < warning_working_days else GREEN


def beijing(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(BEIJING)


def format_beijing(value: datetime.datetime) -> str:
    """2026-03-31 23:59:59, in Beijing time."""
    return f"{beijing(value):%Y-%m-%d %H:%M:%S}"


def cycle_last_deadline(cycle: Cycle, *, extensions: dict | None = None) -> datetime.datetime:
    """The latest deadline of any bureau in the cycle (extensions included): once it has passed, every bureau's
    has. One query unless ``extensions`` (from ``cycle_extensions``) is given."""
    if extensions is None:
        latest = Extension.objects.filter(cycle=cycle).aggregate(latest=Max("new_deadline"))["latest"]
    else:
        latest = max(extensions.values(), default=None)
    return deadline_with_extension(cycle.deadline, latest)


def every_deadline_passed(*, cycle: Cycle, now: datetime.datetime | None = None,
                          extensions: dict | None = None) -> bool:
    """Every bureau's own deadline in the cycle, extensions included, has passed."""
    return deadline_passed(deadline=cycle_last_deadline(cycle, extensions=extensions), now=now)


def bureaus_still_open(*, cycle: Cycle, now: datetime.datetime | None = None) -> list:
    """The bureaus whose extension has not run out yet (the cycle's own deadline aside). One query."""
    now = now or current_time()
    return [e.bureau for e in Extension.objects.filter(cycle=cycle).select_related("bureau").order_by("new_deadline")
            if not deadline_passed(deadline=deadline_with_extension(cycle.deadline, e.new_deadline), now=now)]
