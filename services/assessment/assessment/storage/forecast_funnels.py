"""Each unit's funnel on the daily tick's day, kept for the forecast of `GET /attainment`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.forecast import Funnel
from assessment.storage.tables import forecast_funnels


def funnels_json(funnels: Mapping[str, Funnel]) -> dict[str, dict[str, int]]:
    return {unit_id: funnel.as_json() for unit_id, funnel in sorted(funnels.items())}


def funnels_from(data: Mapping[str, Mapping[str, int]]) -> dict[str, Funnel]:
    return {unit_id: Funnel(**figures) for unit_id, figures in data.items()}


class SqlForecastFunnelRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def replace(self, funnels: Mapping[str, Funnel], computed_on: date) -> None:
        statement = insert(forecast_funnels).values(
            singleton=1, computed_on=computed_on, funnels=funnels_json(funnels)
        )
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[forecast_funnels.c.singleton],
                set_={"computed_on": computed_on, "funnels": statement.excluded.funnels},
            )
        )

    async def computed_on(self) -> date | None:
        return await self.connection.scalar(select(forecast_funnels.c.computed_on))

    async def load(self) -> dict[str, Funnel]:
        found = await self.connection.scalar(select(forecast_funnels.c.funnels))
        return {} if found is None else funnels_from(found)
