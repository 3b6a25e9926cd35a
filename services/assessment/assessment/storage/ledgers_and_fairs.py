"""The other services' facts that escalations need: fairs held, ledgers overdue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.storage.tables import fairs, overdue_ledgers, submitted_ledgers


async def save_rows(
    connection: AsyncConnection, table: Any, rows: Sequence[dict[str, Any]]
) -> None:
    if rows:
        await connection.execute(insert(table).on_conflict_do_nothing(), list(rows))


async def save_fairs(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await save_rows(connection, fairs, rows)


async def save_overdue(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await save_rows(connection, overdue_ledgers, rows)


async def save_submitted(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await save_rows(connection, submitted_ledgers, rows)


async def counties_with_fair(connection: AsyncConnection, until: date) -> frozenset[str]:
    result = await connection.execute(
        select(fairs.c.county_code).where(fairs.c.held_on <= until).distinct()
    )
    return frozenset(result.scalars())


async def overdue_months(
    connection: AsyncConnection,
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Per unit: the overdue months still unsubmitted, and how many months ever went overdue."""
    overdue = (await connection.execute(select(overdue_ledgers))).all()
    submitted = {(r.unit_id, r.period) for r in await connection.execute(select(submitted_ledgers))}
    pending: dict[str, list[str]] = defaultdict(list)
    ever: dict[str, int] = defaultdict(int)
    for row in overdue:
        ever[row.unit_id] += 1
        if (row.unit_id, row.period) not in submitted:
            pending[row.unit_id].append(row.period)
    return dict(pending), dict(ever)
