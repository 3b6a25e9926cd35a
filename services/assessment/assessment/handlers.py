"""What assessment does with each event it consumes: one small function per event type."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from assessment import storage
from assessment.domain.listing import ListingInterval
from shared.consumer import Incoming
from shared.contracts.roster import EnterpriseListed
from shared.outbox import OutgoingRecord

ROSTER_EVENTS_HANDLED = (EnterpriseListed,)


async def apply_roster_events(
    connection: AsyncConnection, events: Sequence[Incoming]
) -> Sequence[OutgoingRecord]:
    listings = [listing_of(e.payload) for e in events if isinstance(e.payload, EnterpriseListed)]
    await storage.save_listings(connection, listings)
    return []


def listing_of(event: EnterpriseListed) -> ListingInterval:
    return ListingInterval(
        uscc=event.uscc, county_code=event.county_code, listed_on=event.listed_on
    )
