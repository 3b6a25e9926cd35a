"""Idempotent inbox: a consumer records each event's (source, id) in the same transaction as
the event's effect, with a fingerprint of the event's content. A redelivered event finds its
key taken with the same fingerprint and has no effect; a record that reuses the key for other
content finds a different fingerprint and is a conflicting duplicate.

Each row also keeps where its record was read (topic, partition, offset; since
platform_0004, None before): the bank records' audit trail is kept per batch and answers
about one record by this place (shared/audit.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, Text, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import insert_unnested, pairs_in

DedupKey = tuple[str, str]
_CLAIMED = ("source", "event_id", "event_type", "fingerprint", "topic", "partition", "offset")


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("source", Text, primary_key=True),
        Column("event_id", Text, primary_key=True),
        Column("event_type", Text, nullable=False),
        # None for rows recorded before fingerprints were kept, and for dead letters.
        Column("fingerprint", Text),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # Where the record was read; None for rows recorded before places were kept.
        Column("topic", Text),
        Column("partition", Integer),
        Column("offset", BigInteger),
    )


@dataclass(frozen=True)
class Entry:
    """What a consumer records of one event (or of one dead-lettered record)."""

    event_type: str
    fingerprint: str | None = None
    # Where its record was read: (topic, partition, offset).
    place: tuple[str, int, int] | None = None


@dataclass(frozen=True)
class Claim:
    """`fresh`: keys recorded now. `recorded`: for each key already there, the fingerprint
    it was recorded with."""

    fresh: set[DedupKey]
    recorded: Mapping[DedupKey, str | None]


class Inbox:
    def __init__(self, table: Table) -> None:
        self.table = table

    async def claim(
        self, connection: AsyncConnection, entries: Iterable[tuple[DedupKey, Entry]]
    ) -> Claim:
        """Record the given keys; say which were new and what the others were recorded with.

        One statement for the batch (`ON CONFLICT DO NOTHING` leaves earlier or concurrent
        deliveries alone, RETURNING names the fresh keys), and one more only when some key
        was already taken.
        """
        rows = dict(entries)
        if not rows:
            return Claim(set(), {})
        statement = (
            insert_unnested(self.table, _CLAIMED)
            .on_conflict_do_nothing()
            .returning(self.table.c.source, self.table.c.event_id)
        )
        keys, recorded = list(rows), list(rows.values())
        result = await connection.execute(
            statement,
            {
                "source": [source for source, _ in keys],
                "event_id": [event_id for _, event_id in keys],
                "event_type": [entry.event_type for entry in recorded],
                "fingerprint": [entry.fingerprint for entry in recorded],
                "topic": [e.place[0] if e.place else None for e in recorded],
                "partition": [e.place[1] if e.place else None for e in recorded],
                "offset": [e.place[2] if e.place else None for e in recorded],
            },
        )
        fresh = {(row.source, row.event_id) for row in result}
        taken = [key for key in rows if key not in fresh]
        return Claim(fresh, await self._fingerprints(connection, taken) if taken else {})

    async def _fingerprints(
        self, connection: AsyncConnection, keys: list[DedupKey]
    ) -> dict[DedupKey, str | None]:
        result = await connection.execute(
            select(self.table.c.source, self.table.c.event_id, self.table.c.fingerprint).where(
                pairs_in(self.table.c.source, self.table.c.event_id, keys)
            )
        )
        return {(row.source, row.event_id): row.fingerprint for row in result}
