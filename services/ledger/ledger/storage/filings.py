"""Submissions (immutable, versioned), notices given, special reports, publicity activities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.activities import Activity, PublicityKind
from ledger.domain.periods import Month
from ledger.domain.workflow import Notice, NoticeKind, Submission
from ledger.storage.tables import notices, publicity_activities, special_reports, submissions


def _submission(row: Any) -> Submission:
    return Submission(row.version, row.submitted_at, row.late, row.reason)


async def submission_versions(
    connection: AsyncConnection, unit_id: str, month: Month, *, lock: bool = False
) -> list[Any]:
    """Every version of the unit's month, oldest first (rows with their snapshots)."""
    query = (
        select(submissions)
        .where(submissions.c.unit_id == unit_id, submissions.c.period == str(month))
        .order_by(submissions.c.version)
    )
    if lock:
        # Serializes concurrent submissions of one ledger; the primary key backs it up.
        await connection.execute(
            select(func.pg_advisory_xact_lock(func.hashtext(f"ledger:{unit_id}:{month}")))
        )
    return list(await connection.execute(query))


def latest_of(rows: Sequence[Any]) -> Submission | None:
    return _submission(rows[-1]) if rows else None


def first_of(rows: Sequence[Any]) -> Submission | None:
    return _submission(rows[0]) if rows else None


async def save_submission(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(insert(submissions), [row])


async def all_submissions(connection: AsyncConnection) -> dict[tuple[str, str], Submission]:
    """The first version of every filed (unit, month)."""
    query = select(submissions).where(submissions.c.version == 1)
    return {(r.unit_id, r.period): _submission(r) for r in await connection.execute(query)}


async def report_counts(connection: AsyncConnection) -> dict[tuple[str, str], int]:
    query = select(
        special_reports.c.unit_id, special_reports.c.period, func.count().label("n")
    ).group_by(special_reports.c.unit_id, special_reports.c.period)
    return {(r.unit_id, r.period): int(r.n) for r in await connection.execute(query)}


async def given_notices(connection: AsyncConnection) -> set[tuple[NoticeKind, str, Month]]:
    rows = await connection.execute(select(notices.c.kind, notices.c.unit_id, notices.c.period))
    return {(NoticeKind(r.kind), r.unit_id, Month.parse(r.period)) for r in rows}


async def claim_notices(connection: AsyncConnection, due: Sequence[Notice]) -> list[Notice]:
    """Record the notices; return those not given before (by this or another process)."""
    if not due:
        return []
    statement = (
        insert(notices)
        .values([{"kind": n.kind.value, "unit_id": n.unit_id, "period": str(n.month)} for n in due])
        .on_conflict_do_nothing()
        .returning(notices.c.kind, notices.c.unit_id, notices.c.period)
    )
    fresh = {(r.kind, r.unit_id, r.period) for r in await connection.execute(statement)}
    return [n for n in due if (n.kind.value, n.unit_id, str(n.month)) in fresh]


async def save_report(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(insert(special_reports), [row])


async def reports_of(connection: AsyncConnection, unit_id: str, month: Month) -> list[Any]:
    query = (
        select(special_reports)
        .where(special_reports.c.unit_id == unit_id, special_reports.c.period == str(month))
        .order_by(special_reports.c.reported_at)
    )
    return list(await connection.execute(query))


async def save_activity(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(insert(publicity_activities), [row])


async def activities_of(
    connection: AsyncConnection, county_code: str | None, month: Month | None
) -> list[Any]:
    query = select(publicity_activities).order_by(
        publicity_activities.c.held_on, publicity_activities.c.activity_id
    )
    if county_code is not None:
        query = query.where(publicity_activities.c.county_code == county_code)
    if month is not None:
        query = query.where(publicity_activities.c.period == str(month))
    return list(await connection.execute(query))


def as_activity(row: Any) -> Activity:
    return Activity(PublicityKind(row.kind), row.participants, row.enterprises)
