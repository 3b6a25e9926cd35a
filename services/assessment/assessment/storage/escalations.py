"""Escalations and checkpoints: each campaign's ladder's state, with each escalation's
history. An escalation id is unique across campaigns."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.escalation import Finding, OpenEscalation
from assessment.storage.tables import checkpoints, escalations
from shared.contracts.assessment import EscalationReason, Severity


class SqlEscalationRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def open(self, campaign_id: str | None = None) -> list[OpenEscalation]:
        """One campaign's open escalations (every campaign's, when None)."""
        query = select(escalations).where(escalations.c.status == "open")
        if campaign_id is not None:
            query = query.where(escalations.c.campaign_id == campaign_id)
        return [
            OpenEscalation(
                r.escalation_id,
                r.unit_id,
                EscalationReason(r.reason),
                Severity(r.severity),
                r.campaign_id,
            )
            for r in await self.connection.execute(query)
        ]

    async def raise_escalation(
        self, campaign_id: str, escalation_id: str, finding: Finding, as_of: date, now: datetime
    ) -> None:
        await self.connection.execute(
            escalations.insert().values(
                escalation_id=escalation_id,
                campaign_id=campaign_id,
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

    async def listed(
        self, only_open: bool, campaign_ids: Collection[str] | None = None
    ) -> list[dict[str, Any]]:
        """Newest first, of the given campaigns (of every campaign, when None)."""
        query = select(escalations).order_by(
            escalations.c.raised_at.desc(), escalations.c.escalation_id
        )
        if only_open:
            query = query.where(escalations.c.status == "open")
        if campaign_ids is not None:
            query = query.where(escalations.c.campaign_id.in_(sorted(campaign_ids)))
        return [dict(r._mapping) for r in await self.connection.execute(query)]

    async def open_by_campaign(self) -> dict[str, int]:
        """How many escalations each campaign has open."""
        rows = await self.connection.execute(
            select(escalations.c.campaign_id, func.count().label("open"))
            .where(escalations.c.status == "open")
            .group_by(escalations.c.campaign_id)
        )
        return {row.campaign_id: row.open for row in rows}

    async def checkpoint_run(self, as_of: date, campaign_id: str | None = None) -> bool:
        query = select(checkpoints.c.as_of).where(checkpoints.c.as_of == as_of)
        found = await self.connection.scalar(_of_campaign(query, campaign_id).limit(1))
        return found is not None

    async def talked_before(self, as_of: date, campaign_id: str | None = None) -> frozenset[str]:
        """Units under target at the campaign's latest checkpoint before `as_of` (of any
        campaign, when None: for a platform of one)."""
        query = select(checkpoints.c.under_target).where(checkpoints.c.as_of < as_of)
        row = (
            await self.connection.execute(
                _of_campaign(query, campaign_id).order_by(checkpoints.c.as_of.desc()).limit(1)
            )
        ).first()
        return frozenset(row.under_target) if row else frozenset()

    async def save_checkpoint(
        self,
        campaign_id: str,
        as_of: date,
        under_target: Sequence[str],
        ranking: Mapping[str, Any],
        run_at: datetime,
    ) -> None:
        await self.connection.execute(
            checkpoints.insert().values(
                campaign_id=campaign_id,
                as_of=as_of,
                under_target=sorted(under_target),
                ranking=dict(ranking),
                run_at=run_at,
            )
        )

    async def checkpoint_ranking(
        self, as_of: date, campaign_id: str | None = None
    ) -> dict[str, Any] | None:
        """The ranking of the campaign's checkpoint of `as_of` (of any campaign's, when
        None: for a platform of one)."""
        query = select(checkpoints.c.ranking).where(checkpoints.c.as_of == as_of)
        row = (
            await self.connection.execute(
                _of_campaign(query, campaign_id).order_by(checkpoints.c.campaign_id).limit(1)
            )
        ).first()
        return None if row is None else dict(row.ranking)


def _of_campaign(query: Select[Any], campaign_id: str | None) -> Select[Any]:
    return query if campaign_id is None else query.where(checkpoints.c.campaign_id == campaign_id)


def _step(finding: Finding, as_of: date, now: datetime) -> dict[str, Any]:
    return {
        "severity": finding.severity.value,
        "as_of": as_of.isoformat(),
        "at": now.isoformat(),
        "figures": dict(finding.figures),
    }
