"""Escalations and checkpoints: the ladder's state, with each escalation's history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.escalation import Changes, Finding, OpenEscalation
from assessment.storage.tables import checkpoints, escalations
from shared.contracts.assessment import (
    EscalationRaised,
    EscalationReason,
    EscalationResolved,
    Severity,
    UnitLevel,
)


async def open_escalations(connection: AsyncConnection) -> list[OpenEscalation]:
    rows = await connection.execute(select(escalations).where(escalations.c.status == "open"))
    return [
        OpenEscalation(r.escalation_id, r.unit_id, EscalationReason(r.reason), Severity(r.severity))
        for r in rows
    ]


async def record(
    connection: AsyncConnection, changes: Changes, as_of: date, now: datetime
) -> list[EscalationRaised | EscalationResolved]:
    """Write the changes; return the events that tell supervisors about them."""
    events: list[EscalationRaised | EscalationResolved] = []
    for finding in changes.raised:
        escalation_id = str(uuid.uuid4())
        await connection.execute(
            escalations.insert().values(
                escalation_id=escalation_id,
                unit_id=finding.unit_id,
                level=finding.level,
                reason=finding.reason.value,
                severity=finding.severity.value,
                status="open",
                raised_at=now,
                as_of=as_of,
                figures=dict(finding.figures),
                evidence=[dict(e) for e in finding.evidence],
                history=[_step(finding, as_of, now)],
            )
        )
        events.append(_raised(escalation_id, finding, None, as_of, now))
    for current, finding in changes.upgraded:
        row = (
            await connection.execute(
                select(escalations.c.history).where(
                    escalations.c.escalation_id == current.escalation_id
                )
            )
        ).one()
        await connection.execute(
            update(escalations)
            .where(escalations.c.escalation_id == current.escalation_id)
            .values(
                severity=finding.severity.value,
                as_of=as_of,
                figures=dict(finding.figures),
                evidence=[dict(e) for e in finding.evidence],
                history=[*row.history, _step(finding, as_of, now)],
            )
        )
        events.append(_raised(current.escalation_id, finding, current.severity, as_of, now))
    for current in changes.resolved:
        await connection.execute(
            update(escalations)
            .where(escalations.c.escalation_id == current.escalation_id)
            .values(status="resolved", resolved_at=now)
        )
        events.append(
            EscalationResolved(
                escalation_id=current.escalation_id,
                unit_id=current.unit_id,
                reason=current.reason,
                resolved_at=now,
                as_of=as_of,
                why="the unit no longer meets the condition",
            )
        )
    return events


def _step(finding: Finding, as_of: date, now: datetime) -> dict[str, Any]:
    return {
        "severity": finding.severity.value,
        "as_of": as_of.isoformat(),
        "at": now.isoformat(),
        "figures": dict(finding.figures),
    }


def _raised(
    escalation_id: str, finding: Finding, previous: Severity | None, as_of: date, now: datetime
) -> EscalationRaised:
    return EscalationRaised(
        escalation_id=escalation_id,
        unit_id=finding.unit_id,
        level=UnitLevel(finding.level),
        reason=finding.reason,
        severity=finding.severity,
        previous_severity=previous,
        raised_at=now,
        as_of=as_of,
        figures=dict(finding.figures),
        evidence=[dict(e) for e in finding.evidence],
    )


async def list_escalations(connection: AsyncConnection, only_open: bool) -> list[dict[str, Any]]:
    query = select(escalations).order_by(escalations.c.raised_at.desc())
    if only_open:
        query = query.where(escalations.c.status == "open")
    return [dict(r._mapping) for r in await connection.execute(query)]


async def checkpoint_run(connection: AsyncConnection, as_of: date) -> bool:
    found = await connection.scalar(select(checkpoints.c.as_of).where(checkpoints.c.as_of == as_of))
    return found is not None


async def talked_before(connection: AsyncConnection, as_of: date) -> frozenset[str]:
    """Units under target at the latest checkpoint before `as_of`."""
    row = (
        await connection.execute(
            select(checkpoints.c.under_target)
            .where(checkpoints.c.as_of < as_of)
            .order_by(checkpoints.c.as_of.desc())
            .limit(1)
        )
    ).first()
    return frozenset(row.under_target) if row else frozenset()


async def save_checkpoint(
    connection: AsyncConnection,
    as_of: date,
    under_target: Sequence[str],
    ranking: Mapping[str, Any],
) -> None:
    await connection.execute(
        checkpoints.insert().values(
            as_of=as_of, under_target=sorted(under_target), ranking=dict(ranking)
        )
    )


async def checkpoint_ranking(connection: AsyncConnection, as_of: date) -> dict[str, Any] | None:
    row = (
        await connection.execute(select(checkpoints.c.ranking).where(checkpoints.c.as_of == as_of))
    ).first()
    return None if row is None else dict(row.ranking)
