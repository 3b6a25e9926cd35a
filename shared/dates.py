"""Calendar arithmetic the counting rules share."""

from __future__ import annotations

from datetime import date


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February becomes 28 February, and a day
    before the calendar's first year becomes its first day (nothing is earlier)."""
    year = day.year - years
    if year < date.min.year:
        return date.min
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)
