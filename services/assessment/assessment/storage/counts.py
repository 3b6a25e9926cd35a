"""Each unit's counts, moved by the changes of the enterprises a batch touched.

Changes add up (`total = total + change`), so two transactions that move one count take turns
on its row only; rows are written in key order, so that they never wait for each other in a
cycle.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.counts import CountKey, Counts, Measure
from assessment.storage.tables import unit_counts


def _rows(counts: Mapping[CountKey, int]) -> list[dict[str, object]]:
    return [
        {"measure": measure.value, "level": level, "unit_id": unit_id, "total": n}
        for (measure, level, unit_id), n in sorted(counts.items())
    ]


class SqlCountRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def add(self, changes: Mapping[CountKey, int]) -> None:
        if not changes:
            return
        statement = insert(unit_counts)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[unit_counts.c.measure, unit_counts.c.level, unit_counts.c.unit_id],
                set_={"total": unit_counts.c.total + statement.excluded.total},
            ),
            _rows(changes),
        )

    async def replace(self, counts: Mapping[CountKey, int]) -> None:
        await self.connection.execute(delete(unit_counts))
        if counts:
            await self.connection.execute(insert(unit_counts), _rows(counts))

    async def load(self) -> Counts:
        rows = await self.connection.execute(select(unit_counts).where(unit_counts.c.total != 0))
        return {(Measure(r.measure), r.level, r.unit_id): r.total for r in rows}
