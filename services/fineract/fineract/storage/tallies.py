"""What each instance's messages became: counts per outcome and type, and the last message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from fineract.storage.tables import instances, tallies


@dataclass(frozen=True)
class Tally:
    instance: str
    outcome: str  # `published` or `skipped`
    event_type: str
    count: int


@dataclass(frozen=True)
class InstanceProgress:
    instance: str
    institution_id: str
    messages: int
    last_message_id: int
    last_created_at: datetime


class TallyRepository(Protocol):
    async def add(self, counts: Sequence[Tally], progress: Sequence[InstanceProgress]) -> None:
        """Add `counts` to the tallies; `progress` adds its messages and keeps the highest
        message id (and its time) per instance."""

    async def all(self) -> tuple[list[Tally], list[InstanceProgress]]: ...


class SqlTallyRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, counts: Sequence[Tally], progress: Sequence[InstanceProgress]) -> None:
        if counts:
            statement = insert(tallies).values(
                [
                    {
                        "instance": t.instance,
                        "outcome": t.outcome,
                        "event_type": t.event_type,
                        "count": t.count,
                    }
                    for t in counts
                ]
            )
            await self._connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["instance", "outcome", "event_type"],
                    set_={"count": tallies.c.count + statement.excluded.count},
                )
            )
        for p in progress:
            statement = insert(instances).values(
                instance=p.instance,
                institution_id=p.institution_id,
                messages=p.messages,
                last_message_id=p.last_message_id,
                last_created_at=p.last_created_at,
            )
            newer = statement.excluded.last_message_id > instances.c.last_message_id
            await self._connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["instance"],
                    set_={
                        "messages": instances.c.messages + statement.excluded.messages,
                        "last_message_id": func.greatest(
                            instances.c.last_message_id, statement.excluded.last_message_id
                        ),
                        "last_created_at": case(
                            (newer, statement.excluded.last_created_at),
                            else_=instances.c.last_created_at,
                        ),
                    },
                )
            )

    async def all(self) -> tuple[list[Tally], list[InstanceProgress]]:
        counted = await self._connection.execute(
            select(tallies).order_by(tallies.c.instance, tallies.c.outcome, tallies.c.event_type)
        )
        progressed = await self._connection.execute(
            select(instances).order_by(instances.c.instance)
        )
        return (
            [Tally(r.instance, r.outcome, r.event_type, r._mapping["count"]) for r in counted],
            [
                InstanceProgress(
                    r.instance, r.institution_id, r.messages, r.last_message_id, r.last_created_at
                )
                for r in progressed
            ],
        )
