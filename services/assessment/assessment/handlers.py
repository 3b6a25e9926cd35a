"""What assessment does with each event it consumes: one small function per event type."""

from __future__ import annotations

from collections.abc import Sequence

from assessment import storage
from assessment.domain.listing import ListingInterval
from shared.consumer import Incoming
from shared.contracts.roster import EnterpriseListed
from shared.unit_of_work import UnitOfWork

ROSTER_EVENTS_HANDLED = (EnterpriseListed,)


async def apply_roster_events(unit: UnitOfWork, events: Sequence[Incoming]) -> None:
    listings = [listing_of(e.payload) for e in events if isinstance(e.payload, EnterpriseListed)]
    await storage.save_listings(unit.connection, listings)


def listing_of(event: EnterpriseListed) -> ListingInterval:
    return ListingInterval(
        uscc=event.uscc, county_code=event.county_code, listed_on=event.listed_on
    )
