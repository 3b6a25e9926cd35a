"""The cultivation list as roster tells it: listing and delisting dates, kept as facts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from sqlalchemy import select, tuple_
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
        found = [Listing(r.uscc, r.listed_on, r.name, r.county_code) for r in rows]
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
                },
            ),
            [
                {
                    "uscc": e.uscc,
                    "listed_on": e.listed_on,
                    "name": e.name,
                    "county_code": e.county_code,
                }
                for e in entries
            ],
        )

    async def add_delistings(self, entries: Sequence[Delisting]) -> None:
        # A delisting is only its (uscc, date) key: copies cannot differ.
        if entries:
            rows = [{"uscc": e.uscc, "delisted_on": e.delisted_on} for e in entries]
            await self._connection.execute(insert(delistings).on_conflict_do_nothing(), rows)

    async def history(self, uscc: str) -> ListingHistory:
        listed = await self._connection.execute(select(listings).where(listings.c.uscc == uscc))
        delisted = await self._connection.scalars(
            select(delistings.c.delisted_on).where(delistings.c.uscc == uscc)
        )
        return ListingHistory(
            tuple(Listing(r.uscc, r.listed_on, r.name, r.county_code) for r in listed),
            tuple(delisted),
        )
