"""The other services' facts that escalations need: fairs held (facts of no campaign: a
campaign reads those of its counties and window), ledgers overdue and submitted (each of a
campaign)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.facts import Fair, OverdueLedger, SubmittedLedger
from assessment.storage.tables import fairs, overdue_ledgers, submitted_ledgers


class SqlLedgersAndFairsRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def _insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        # Each is announced exactly once by its service (a fair when scheduled, a month
        # when it went overdue): a second copy is a redelivery of the same fact.
        if rows:
            await self.connection.execute(insert(table).on_conflict_do_nothing(), rows)

    async def save_fairs(self, held: Sequence[Fair]) -> None:
        await self._insert(fairs, [vars(f) for f in held])

    async def save_overdue(self, overdue: Sequence[OverdueLedger]) -> None:
        await self._insert(overdue_ledgers, [vars(o) for o in overdue])

    async def save_submitted(self, submitted: Sequence[SubmittedLedger]) -> None:
        await self._insert(submitted_ledgers, [vars(s) for s in submitted])

    async def counties_with_fair(self, start: date, end: date) -> frozenset[str]:
        held = fairs.c.held_on
        result = await self.connection.execute(
            select(fairs.c.county_code).where(held >= start, held <= end).distinct()
        )
        return frozenset(result.scalars())

    async def overdue_months(
        self, campaign_id: str | None = None
    ) -> tuple[dict[str, list[str]], dict[str, int]]:
        """Per unit of the campaign (of any campaign, when None: for a platform of one): the
        overdue months still unsubmitted, and how many months ever went overdue."""
        overdue_query, submitted_query = select(overdue_ledgers), select(submitted_ledgers)
        if campaign_id is not None:
            overdue_query = overdue_query.where(overdue_ledgers.c.campaign_id == campaign_id)
            submitted_query = submitted_query.where(submitted_ledgers.c.campaign_id == campaign_id)
        overdue = (await self.connection.execute(overdue_query)).all()
        submitted = {
            (r.campaign_id, r.unit_id, r.period)
            for r in await self.connection.execute(submitted_query)
        }
        pending: dict[str, list[str]] = defaultdict(list)
        ever: dict[str, int] = defaultdict(int)
        for row in overdue:
            ever[row.unit_id] += 1
            if (row.campaign_id, row.unit_id, row.period) not in submitted:
                pending[row.unit_id].append(row.period)
        return dict(pending), dict(ever)
