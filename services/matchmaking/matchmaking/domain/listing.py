"""Whether an enterprise is on the cultivation list on a day, from roster's events.

Listings and delistings may arrive in any order; the answer depends on their dates only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


def listed_on(day: date, listings: Iterable[date], delistings: Iterable[date]) -> bool:
    """Listed from a listing date up to the day before the next delisting after it."""
    started = [d for d in listings if d <= day]
    if not started:
        return False
    latest_listing = max(started)
    return not any(latest_listing < d <= day for d in delistings)


@dataclass(frozen=True)
class Listing:
    """Roster listed the enterprise from `listed_on`, under this name and county."""

    uscc: str
    listed_on: date
    name: str
    county_code: str


@dataclass(frozen=True)
class Delisting:
    uscc: str
    delisted_on: date


@dataclass(frozen=True)
class ListingHistory:
    """What roster told of one enterprise, as sets of dated facts."""

    listings: tuple[Listing, ...] = ()
    delistings: tuple[date, ...] = ()

    def listed_on(self, day: date) -> bool:
        return listed_on(day, [entry.listed_on for entry in self.listings], self.delistings)

    @property
    def latest(self) -> Listing | None:
        return max(self.listings, key=lambda entry: entry.listed_on, default=None)


def listing_rank(listing: Listing) -> tuple[str, str]:
    """Two listings of an enterprise on one day that disagree: the least (county, name) is
    kept, so that the one kept does not depend on which arrived first."""
    return (listing.county_code, listing.name)
