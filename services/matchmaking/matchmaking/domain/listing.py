"""Whether an enterprise is on the cultivation list on a day, from roster's events.

Listings and delistings may arrive in any order; the answer depends on their dates only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def listed_on(day: date, listings: Iterable[date], delistings: Iterable[date]) -> bool:
    """Listed from a listing date up to the day before the next delisting after it."""
    started = [d for d in listings if d <= day]
    if not started:
        return False
    latest_listing = max(started)
    return not any(latest_listing < d <= day for d in delistings)
