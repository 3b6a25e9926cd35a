"""Whether an enterprise is on a campaign's cultivation list on a day, from roster's events.

The list is a campaign's: an enterprise listed in Xinzhou's 2020 campaign is not on the 2021
campaign's list unless nominated to it again. Listings and delistings may arrive in any
order; the answer depends on their dates and campaigns only.
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
    """Roster listed the enterprise from `listed_on`, under this name and county, on the list
    of `campaign_id` (None: a county no campaign has)."""

    uscc: str
    listed_on: date
    name: str
    county_code: str
    campaign_id: str | None


@dataclass(frozen=True)
class Delisting:
    uscc: str
    delisted_on: date
    campaign_id: str | None


@dataclass(frozen=True)
class ListingHistory:
    """What roster told of one enterprise, as sets of dated facts."""

    listings: tuple[Listing, ...] = ()
    delistings: tuple[Delisting, ...] = ()

    def listed_on(self, day: date, campaign_id: str | None) -> bool:
        """On the campaign's list that day; `campaign_id` None (a county no campaign has):
        on any list."""
        return listed_on(
            day,
            [e.listed_on for e in self.listings if campaign_id in (None, e.campaign_id)],
            [d.delisted_on for d in self.delistings if campaign_id in (None, d.campaign_id)],
        )

    @property
    def latest(self) -> Listing | None:
        return max(self.listings, key=lambda entry: entry.listed_on, default=None)


def listing_rank(listing: Listing) -> tuple[str, str, str]:
    """Two listings of an enterprise on one day that disagree: the least (county, name,
    campaign) is kept, so that the one kept does not depend on which arrived first."""
    return (listing.county_code, listing.name, listing.campaign_id or "")
