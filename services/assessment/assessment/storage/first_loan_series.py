"""Each unit's first-loan households per issue day, kept by the daily tick for the forecast."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.forecast import DailyCounts
from assessment.storage.tables import first_loan_series


def series_json(series: Mapping[str, DailyCounts]) -> dict[str, dict[str, int]]:
    return {
        unit_id: {day.isoformat(): n for day, n in sorted(days.items())}
        for unit_id, days in series.items()
    }


def series_from(data: Mapping[str, Mapping[str, int]]) -> dict[str, dict[date, int]]:
    return {
        unit_id: {date.fromisoformat(day): n for day, n in days.items()}
        for unit_id, days in data.items()
    }


class SqlFirstLoanSeriesRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def replace(self, series: Mapping[str, DailyCounts], computed_on: date) -> None:
        statement = insert(first_loan_series).values(
            singleton=1, computed_on=computed_on, series=series_json(series)
        )
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[first_loan_series.c.singleton],
                set_={"computed_on": computed_on, "series": statement.excluded.series},
            )
        )

    async def computed_on(self) -> date | None:
        return await self.connection.scalar(select(first_loan_series.c.computed_on))

    async def load(self) -> dict[str, dict[date, int]]:
        found = await self.connection.scalar(select(first_loan_series.c.series))
        return {} if found is None else series_from(found)
