"""Months (报送期) and their deadlines.

The ledger of month M is due by the end of day `ledger_due_day` (the 10th) of month M+1 in the
campaign's time zone (Asia/Shanghai): it is overdue from 00:00 of the next day. The month's
special information report (专题信息) closes at the same moment, since a month's summaries
are written once the month is over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class InvalidPeriodError(ValueError):
    """Not a month written `YYYY-MM`."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _PERIOD.match(text)
        if match is None:
            raise InvalidPeriodError(f"{text!r} is not a month written YYYY-MM")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label_zh(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def contains(self, day: date) -> bool:
        return (day.year, day.month) == (self.year, self.month)


def months_between(start: date, end: date) -> list[Month]:
    """Every month that has a day in `start..end`."""
    months, current = [], Month.of(start)
    while current <= Month.of(end):
        months.append(current)
        current = current.next()
    return months


@dataclass(frozen=True)
class Deadline:
    """When a month's ledger and report are due: `due_date` is the last day to file."""

    due_date: date
    zone: ZoneInfo

    @property
    def due_at(self) -> datetime:
        """The first instant at which the filing is late (00:00 after the due date)."""
        return datetime.combine(self.due_date + timedelta(days=1), time(0), tzinfo=self.zone)

    def passed(self, now: datetime) -> bool:
        return now >= self.due_at


def month_ended(month: Month, now: datetime, zone: ZoneInfo) -> bool:
    return now >= datetime.combine(month.next().first_day, time(0), tzinfo=zone)
