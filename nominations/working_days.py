"""Working days by China's official calendar: the State Council's yearly holiday notice, with the weekend days it
makes working days (调休). The days come from ``chinese-calendar``, the maintained package that carries each
year's notice; nothing here is a hand-made list. A year the package does not know yet is refused with a clear
message (update the package) rather than guessed.
"""

import datetime

import chinese_calendar
from django.utils.translation import gettext as _

from incentives.errors import DomainError


def is_working_day(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        raise DomainError(_("The official calendar of working days for %(year)s is not known yet: update the "
                            "chinese-calendar package once the State Council has published that year's holidays.")
                          % {"year": day.year}) from None


def working_period(*, start: datetime.date, working_days: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a period of ``working_days`` working days that begins on ``start`` (or on the
    first working day after it, when ``start`` is a holiday or a weekend day that is not made a working day)."""
    if working_days < 1:
        raise DomainError(_("A public notice lasts at least one working day."), field="notice_working_days")
    day = start
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    first, counted = day, 1
    while counted < working_days:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return first, day
