"""When a bureau may still change or submit its lists.

The deadline is a fixed instant (stored aware, in UTC). Comparing aware datetimes does not depend on the server's
``TIME_ZONE`` nor on the process's ``TZ``; only the display is in Beijing time. The deadline is exact to the
second: a submission anywhere within the deadline's last second (23:59:59.xxx) is on time.
"""

import datetime

from django.utils import timezone

from .models import BEIJING, Cycle, Extension


def effective_deadline(*, cycle: Cycle, bureau, extensions: dict | None = None) -> datetime.datetime:
    """The extension's new deadline when the General Office granted one to the bureau, else the cycle's.

    ``extensions`` (bureau id → Extension) lets a page that shows many bureaus' deadlines load them once.
    """
    if extensions is not None:
        extension = extensions.get(getattr(bureau, "pk", bureau))
    else:
        extension = Extension.objects.filter(cycle=cycle, bureau=bureau).only("new_deadline").first()
    return extension.new_deadline if extension is not None else cycle.deadline


def current_time() -> datetime.datetime:
    """The clock the deadline rule reads (one place, so tests can set it)."""
    return timezone.now()


def deadline_passed(*, deadline: datetime.datetime, now: datetime.datetime | None = None) -> bool:
    now = now or current_time()
    # Drop the fraction of a second: 23:59:59.999 is still within the deadline's second.
    return now.replace(microsecond=0) > deadline


def beijing(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(BEIJING)
