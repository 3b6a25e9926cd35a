"""Each campaign's units' funnels on the daily tick's day, kept for the forecast of
`GET /attainment`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Select, select
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

    async def replace(
        self, campaign_id: str, funnels: Mapping[str, Funnel], computed_on: date
    ) -> None:
        statement = insert(forecast_funnels).values(
            campaign_id=campaign_id, computed_on=computed_on, funnels=funnels_json(funnels)
        )
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[forecast_funnels.c.campaign_id],
                set_={"computed_on": computed_on, "funnels": statement.excluded.funnels},
            )
        )

    async def computed_on(self, campaign_id: str | None = None) -> date | None:
        """The day the campaign's funnels are of (any campaign's, when None: for a platform
        of one)."""
        query = select(forecast_funnels.c.computed_on)
        found: date | None = await self.connection.scalar(_of(query, campaign_id))
        return found

    async def load(self, campaign_id: str | None = None) -> dict[str, Funnel]:
        query = select(forecast_funnels.c.funnels)
        found = await self.connection.scalar(_of(query, campaign_id))
        return {} if found is None else funnels_from(found)


def _of(query: Select[Any], campaign_id: str | None) -> Select[Any]:
    if campaign_id is not None:
        query = query.where(forecast_funnels.c.campaign_id == campaign_id)
    return query.order_by(forecast_funnels.c.campaign_id).limit(1)
