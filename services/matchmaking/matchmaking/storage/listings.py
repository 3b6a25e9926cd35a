"""The cultivation list as roster tells it: listing and delisting dates, kept as facts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Protocol

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from matchmaking.domain.listing import Delisting, Listing, ListingHistory
from matchmaking.storage.tables import delistings, listings

# (uscc, listed_on): one listing of an enterprise.
ListingKey = tuple[str, date]


class ListingRepository(Protocol):
    async def get(self, keys: Iterable[ListingKey]) -> dict[ListingKey, Listing]: ...
    async def put(self, entries: Sequence[Listing]) -> None:
        """Store these listings, replacing any stored for the same enterprise and day."""
        ...

    async def add_delistings(self, entries: Sequence[Delisting]) -> None: ...
    async def history(self, uscc: str) -> ListingHistory: ...


class SqlListingRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, keys: Iterable[ListingKey]) -> dict[ListingKey, Listing]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        key = tuple_(listings.c.uscc, listings.c.listed_on)
        rows = await self._connection.execute(select(listings).where(key.in_(wanted)))
        found = [_listing(r) for r in rows]
        return {(entry.uscc, entry.listed_on): entry for entry in found}

    async def put(self, entries: Sequence[Listing]) -> None:
        if not entries:
            return
        statement = insert(listings)
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=[listings.c.uscc, listings.c.listed_on],
                set_={
                    "name": statement.excluded.name,
                    "county_code": statement.excluded.county_code,
                    "campaign_id": statement.excluded.campaign_id,
                },
            ),
            [
                {
                    "uscc": e.uscc,
                    "listed_on": e.listed_on,
                    "name": e.name,
                    "county_code": e.county_code,
                    "campaign_id": e.campaign_id,
                }
                for e in entries
            ],
        )

    async def add_delistings(self, entries: Sequence[Delisting]) -> None:
        # A delisting is its (uscc, date) key and a campaign; copies that name different
        # campaigns keep the least (LEAST skips NULL), whatever the order they came in.
        if entries:
            rows = [
                {"uscc": e.uscc, "delisted_on": e.delisted_on, "campaign_id": e.campaign_id}
                for e in entries
            ]
            statement = insert(delistings)
            await self._connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[delistings.c.uscc, delistings.c.delisted_on],
                    set_={
                        "campaign_id": func.least(
                            delistings.c.campaign_id, statement.excluded.campaign_id
                        )
                    },
                ),
                rows,
            )

    async def history(self, uscc: str) -> ListingHistory:
        listed = await self._connection.execute(select(listings).where(listings.c.uscc == uscc))
        delisted = await self._connection.execute(
            select(delistings).where(delistings.c.uscc == uscc)
        )
        return ListingHistory(
            tuple(_listing(r) for r in listed),
            tuple(Delisting(r.uscc, r.delisted_on, r.campaign_id) for r in delisted),
        )


def _listing(row: Any) -> Listing:
    return Listing(row.uscc, row.listed_on, row.name, row.county_code, row.campaign_id)
