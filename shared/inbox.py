"""Idempotent inbox: a consumer records each event's (source, id) in the same transaction as
the event's effect. A redelivered event finds its key taken and has no effect."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Column, DateTime, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

DedupKey = tuple[str, str]


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("source", Text, primary_key=True),
        Column("event_id", Text, primary_key=True),
        Column("event_type", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class Inbox:
    def __init__(self, table: Table) -> None:
        self.table = table

    async def claim(
        self, connection: AsyncConnection, events: Iterable[tuple[DedupKey, str]]
    ) -> set[DedupKey]:
        """Record the given (key, type) pairs; return the keys that were new.

        One statement for the whole batch; `ON CONFLICT DO NOTHING` leaves the rows of
        concurrent or earlier deliveries alone, and RETURNING names only the fresh ones.
        """
        rows = dict(events)
        if not rows:
            return set()
        statement = (
            insert(self.table)
            .values(
                [
                    {"source": source, "event_id": event_id, "event_type": event_type}
                    for (source, event_id), event_type in rows.items()
                ]
            )
            .on_conflict_do_nothing()
            .returning(self.table.c.source, self.table.c.event_id)
        )
        result = await connection.execute(statement)
        return {(row.source, row.event_id) for row in result}
