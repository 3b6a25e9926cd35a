"""Assessment's tables. The read model is fed by events; nothing here is written by hand."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, Date, Table, Text, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.listing import ListingInterval
from shared.db import new_metadata
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = new_metadata()
outbox_table(metadata)
inbox_table(metadata)

listing_intervals = Table(
    "listing_intervals",
    metadata,
    Column("uscc", Text, primary_key=True),
    Column("listed_on", Date, primary_key=True),
    Column("county_code", Text, nullable=False),
    Column("delisted_on", Date),
)


async def save_listings(connection: AsyncConnection, intervals: Sequence[ListingInterval]) -> None:
    if not intervals:
        return
    # A plain insert: the inbox guarantees one application per event, and a second listing
    # of the same enterprise on the same day is a contradiction to surface, not to absorb.
    await connection.execute(
        insert(listing_intervals),
        [
            {
                "uscc": i.uscc,
                "listed_on": i.listed_on,
                "county_code": i.county_code,
                "delisted_on": i.delisted_on,
            }
            for i in intervals
        ],
    )
