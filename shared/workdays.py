"""Working days on the Chinese statutory calendar (法定节假日 and adjusted workdays, 调休).

The calendar data comes from the `chinesecalendar` package, which covers only the
years whose holidays the State Council has published. Asking about any other year
raises `CalendarNotCoveredError` rather than guessing from weekdays.
"""

from datetime import date, timedelta

import chinese_calendar

_ONE_DAY = timedelta(days=1)


class CalendarNotCoveredError(ValueError):
    """The statutory calendar of `year` is not known to the installed package."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"the Chinese statutory calendar for {year} is not available: upgrade the "
            "`chinesecalendar` package (a release follows the State Council's holiday "
            "notice for the next year, each November)"
        )


def is_workday(day: date) -> bool:
    """Whether `day` is a working day, counting adjusted weekend workdays as working."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as error:
        raise CalendarNotCoveredError(day.year) from error


def workdays_between(start: date, end: date) -> int:
    """The signed number of working days stepped onto when walking from `start` to `end`.

    Forwards (end >= start) this counts the working days in (start, end]; backwards it
    is minus the count in [end, start). So applying on a Monday and being granted on
    Tuesday took one working day, and `workdays_between(d, add_workdays(d, n)) == n`.
    """
    if end < start:
        return -_count_workdays(end, start - _ONE_DAY)
    return _count_workdays(start + _ONE_DAY, end)


def add_workdays(start: date, n: int) -> date:
    """The day reached after stepping onto `n` working days from `start`.

    For n > 0 this is the n-th working day after `start`, for n < 0 the |n|-th working
    day before it, and `start` itself for n == 0 (working day or not).
    """
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    day = start
    for _ in range(abs(n)):
        day = _next_workday(day, step)
    return day


def _next_workday(day: date, step: timedelta) -> date:
    day += step
    while not is_workday(day):
        day += step
    return day


def _count_workdays(first: date, last: date) -> int:
    """Working days in [first, last]; zero when the range is empty."""
    count = 0
    day = first
    while day <= last:
        count += is_workday(day)
        day += _ONE_DAY
    return count
