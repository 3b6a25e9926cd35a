"""When an enterprise is on the cultivation list, and in which county (contract §5 rule 1).

An enterprise is listed from a listing's date up to the day before a delisting's `on` date.
On a day, the latest change on or before it decides; when a delisting and a listing fall on
the same day, the listing wins (re-listed that day, perhaps in another county).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from assessment.domain.facts import ListingChange


def county_on(changes: Iterable[ListingChange], day: date) -> str | None:
    """The county the enterprise is listed in on `day`, or None when it is not listed."""
    latest = max(
        (c for c in changes if c.on <= day),
        key=lambda c: (c.on, c.listed, c.county_code),
        default=None,
    )
    return latest.county_code if latest is not None and latest.listed else None
