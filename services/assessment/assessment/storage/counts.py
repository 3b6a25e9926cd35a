"""Each campaign's units' counts, moved by the changes of the enterprises a batch touched.

Changes add up (`total = total + change`), so two transactions that move one count take turns
on its row only; rows are written in key order, so that they never wait for each other in a
cycle.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.counts import CountKey, Counts, Measure
from assessment.storage.tables import unit_counts


def _rows(counts: Mapping[str, Mapping[CountKey, int]]) -> list[dict[str, object]]:
    return sorted(
        (
            {
                "campaign_id": campaign_id,
                "measure": measure.value,
                "level": level,
                "unit_id": unit_id,
                "total": n,
            }
            for campaign_id, of_campaign in counts.items()
            for (measure, level, unit_id), n in of_campaign.items()
        ),
        key=lambda r: (r["campaign_id"], r["measure"], r["level"], r["unit_id"]),
    )


class SqlCountRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def add(self, changes: Mapping[str, Mapping[CountKey, int]]) -> None:
        """Move each campaign's counts by its changes."""
        rows = _rows(changes)
        if not rows:
            return
        statement = insert(unit_counts)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    unit_counts.c.campaign_id,
                    unit_counts.c.measure,
                    unit_counts.c.level,
                    unit_counts.c.unit_id,
                ],
                set_={"total": unit_counts.c.total + statement.excluded.total},
            ),
            rows,
        )

    async def replace(self, counts: Mapping[str, Mapping[CountKey, int]]) -> None:
        """Every campaign's counts, counted from scratch."""
        await self.connection.execute(delete(unit_counts))
        rows = _rows(counts)
        if rows:
            await self.connection.execute(insert(unit_counts), rows)

    async def load(self, campaign_id: str | None = None) -> Counts:
        """One campaign's counts (summed over every campaign, when None)."""
        total = func.sum(unit_counts.c.total).label("total")
        query = select(unit_counts.c.measure, unit_counts.c.level, unit_counts.c.unit_id, total)
        if campaign_id is not None:
            query = query.where(unit_counts.c.campaign_id == campaign_id)
        query = query.group_by(unit_counts.c.measure, unit_counts.c.level, unit_counts.c.unit_id)
        rows = await self.connection.execute(query)
        return {(Measure(r.measure), r.level, r.unit_id): int(r.total) for r in rows if r.total}
