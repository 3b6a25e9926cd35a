"""What was last published on assessment.attainment per unit, so that only changes are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.storage.tables import published_figures


class SqlPublishedFigureRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def last(self) -> dict[str, dict[str, Any]]:
        rows = await self.connection.execute(select(published_figures))
        return {row.unit_id: row.figures for row in rows}

    async def save(self, figures: Mapping[str, Mapping[str, Any]]) -> None:
        if not figures:
            return
        statement = insert(published_figures)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[published_figures.c.unit_id],
                set_={"figures": statement.excluded.figures},
            ),
            [{"unit_id": unit_id, "figures": dict(f)} for unit_id, f in figures.items()],
        )
