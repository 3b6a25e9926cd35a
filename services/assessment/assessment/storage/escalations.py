"""Escalations and checkpoints: the ladder's state, with each escalation's history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.escalation import Finding, OpenEscalation
from assessment.storage.tables import checkpoints, escalations
from shared.contracts.assessment import EscalationReason, Severity


class SqlEscalationRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def open(self) -> list[OpenEscalation]:
        rows = await self.connection.execute(
            select(escalations).where(escalations.c.status == "open")
        )
        return [
            OpenEscalation(
                r.escalation_id, r.unit_id, EscalationReason(r.reason), Severity(r.severity)
            )
            for r in rows
        ]

    async def raise_escalation(
        self, escalation_id: str, finding: Finding, as_of: date, now: datetime
    ) -> None:
        await self.connection.execute(
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

    async def upgrade(
        self, escalation_id: str, finding: Finding, as_of: date, now: datetime
    ) -> None:
        """A higher severity for an open escalation; its history keeps every step."""
        row = (
            await self.connection.execute(
                select(escalations.c.history).where(escalations.c.escalation_id == escalation_id)
            )
        ).one()
        await self.connection.execute(
            update(escalations)
            .where(escalations.c.escalation_id == escalation_id)
            .values(
                severity=finding.severity.value,
                as_of=as_of,
                figures=dict(finding.figures),
                evidence=[dict(e) for e in finding.evidence],
                history=[*row.history, _step(finding, as_of, now)],
            )
        )

    async def resolve(self, escalation_id: str, now: datetime) -> None:
        await self.connection.execute(
            update(escalations)
            .where(escalations.c.escalation_id == escalation_id)
            .values(status="resolved", resolved_at=now)
        )

    async def listed(self, only_open: bool) -> list[dict[str, Any]]:
        query = select(escalations).order_by(escalations.c.raised_at.desc())
        if only_open:
            query = query.where(escalations.c.status == "open")
        return [dict(r._mapping) for r in await self.connection.execute(query)]

    async def checkpoint_run(self, as_of: date) -> bool:
        found = await self.connection.scalar(
            select(checkpoints.c.as_of).where(checkpoints.c.as_of == as_of)
        )
        return found is not None

    async def talked_before(self, as_of: date) -> frozenset[str]:
        """Units under target at the latest checkpoint before `as_of`."""
        row = (
            await self.connection.execute(
                select(checkpoints.c.under_target)
                .where(checkpoints.c.as_of < as_of)
                .order_by(checkpoints.c.as_of.desc())
                .limit(1)
            )
        ).first()
        return frozenset(row.under_target) if row else frozenset()

    async def save_checkpoint(
        self,
        as_of: date,
        under_target: Sequence[str],
        ranking: Mapping[str, Any],
        run_at: datetime,
    ) -> None:
        await self.connection.execute(
            checkpoints.insert().values(
                as_of=as_of, under_target=sorted(under_target), ranking=dict(ranking), run_at=run_at
            )
        )

    async def checkpoint_ranking(self, as_of: date) -> dict[str, Any] | None:
        row = (
            await self.connection.execute(
                select(checkpoints.c.ranking).where(checkpoints.c.as_of == as_of)
            )
        ).first()
        return None if row is None else dict(row.ranking)


def _step(finding: Finding, as_of: date, now: datetime) -> dict[str, Any]:
    return {
        "severity": finding.severity.value,
        "as_of": as_of.isoformat(),
        "at": now.isoformat(),
        "figures": dict(finding.figures),
    }
