"""What was last published on assessment.attainment per campaign and unit, so that only
changes are."""

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

    async def last(self, campaign_id: str | None = None) -> dict[str, dict[str, Any]]:
        """By unit id: one campaign's (every campaign's, when None: for a platform of one)."""
        query = select(published_figures).order_by(published_figures.c.campaign_id)
        if campaign_id is not None:
            query = query.where(published_figures.c.campaign_id == campaign_id)
        rows = await self.connection.execute(query)
        return {row.unit_id: row.figures for row in rows}

    async def save(self, campaign_id: str, figures: Mapping[str, Mapping[str, Any]]) -> None:
        if not figures:
            return
        statement = insert(published_figures)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[published_figures.c.campaign_id, published_figures.c.unit_id],
                set_={"figures": statement.excluded.figures},
            ),
            [
                {"campaign_id": campaign_id, "unit_id": unit_id, "figures": dict(f)}
                for unit_id, f in figures.items()
            ],
        )
