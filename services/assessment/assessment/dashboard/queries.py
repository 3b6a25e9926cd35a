"""The dashboard's reads of assessment's own tables: one unit's enterprises and
escalations in a campaign, and the campaign's checkpoints run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.storage.tables import checkpoints, enterprise_outcomes, escalations


async def county_outcomes(connection: AsyncConnection, campaign_id: str, code: str) -> list[Any]:
    """Enterprises listed in the county now, or whose first loan counted for it, in the
    campaign."""
    table = enterprise_outcomes
    rows = await connection.execute(
        select(table)
        .where(table.c.campaign_id == campaign_id)
        .where(or_(table.c.county_code == code, table.c.first_loan["county_code"].astext == code))
        .order_by(table.c.uscc)
    )
    return list(rows)


async def institution_outcomes(
    connection: AsyncConnection, campaign_id: str, institution_id: str
) -> list[Any]:
    """Enterprises assigned to the institution, given their first loan by it, or named in
    a first-loan claim of it that was contradicted, in the campaign."""
    table = enterprise_outcomes
    rows = await connection.execute(
        select(table)
        .where(table.c.campaign_id == campaign_id)
        .where(
            or_(
                table.c.institutions.contains([institution_id]),
                table.c.first_loan["institution_id"].astext == institution_id,
                table.c.anomalies.contains([{"claim": {"institution_id": institution_id}}]),
            )
        )
        .order_by(table.c.uscc)
    )
    return list(rows)


async def unit_escalations(
    connection: AsyncConnection, campaign_id: str, unit_id: str
) -> list[Any]:
    rows = await connection.execute(
        select(escalations)
        .where(escalations.c.campaign_id == campaign_id, escalations.c.unit_id == unit_id)
        .order_by(escalations.c.raised_at.desc())
    )
    return list(rows)


async def checkpoints_run(connection: AsyncConnection, campaign_id: str) -> list[Any]:
    rows = await connection.execute(
        select(
            checkpoints.c.as_of,
            checkpoints.c.run_at,
            func.jsonb_array_length(checkpoints.c.under_target).label("under_target"),
        )
        .where(checkpoints.c.campaign_id == campaign_id)
        .order_by(checkpoints.c.as_of.desc())
    )
    return list(rows)
