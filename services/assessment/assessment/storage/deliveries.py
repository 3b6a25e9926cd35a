"""Deliveries of notices: the notices' own outbox. Each (escalation, step, subscription) is
recorded once (`notice_steps`' key), in the transaction that moved the ladder; the delivery
loop claims due rows with `FOR UPDATE SKIP LOCKED`, so two replicas never send one notice
at once, and records each attempt. Times of attempts are the database's (`now()`): retrying
is about real seconds passing, whatever day the platform's clock says it is."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.notices import (
    Delivery,
    DeliveryStatus,
    KnownEscalation,
    Notice,
    Step,
    StepKind,
)
from assessment.storage.subscriptions import subscription_of
from assessment.storage.tables import (
    escalations,
    notice_deliveries,
    notice_steps,
    notice_subscriptions,
)
from shared.contracts.assessment import EscalationReason, Severity


class SqlDeliveryRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def escalations_of(
        self, unit_ids: Collection[str], campaign_id: str | None = None
    ) -> list[KnownEscalation]:
        """The escalations of these units (in the campaign, unless None)."""
        query = select(
            escalations.c.escalation_id,
            escalations.c.unit_id,
            escalations.c.reason,
            escalations.c.level,
            escalations.c.status,
            escalations.c.figures["name"].astext.label("name"),
        ).where(escalations.c.unit_id.in_(sorted(unit_ids)))
        if campaign_id is not None:
            query = query.where(escalations.c.campaign_id == campaign_id)
        rows = await self.connection.execute(query)
        return [
            KnownEscalation(
                r.escalation_id,
                r.unit_id,
                EscalationReason(r.reason),
                r.level,
                r.status == "open",
                r.name or "",
            )
            for r in rows
        ]

    async def enqueue(self, notices: Sequence[Notice]) -> int:
        """Record each notice with the steps not recorded before for its subscription;
        how many notices were recorded."""
        recorded = 0
        for notice in notices:
            delivery_id = str(uuid.uuid4())
            subscription_id = notice.subscription.subscription_id
            claimed = await self.connection.execute(
                insert(notice_steps)
                .values(
                    [
                        {
                            "escalation_id": s.escalation_id,
                            "step": s.key,
                            "subscription_id": subscription_id,
                            "delivery_id": delivery_id,
                        }
                        for s in notice.steps
                    ]
                )
                .on_conflict_do_nothing()
                .returning(notice_steps.c.escalation_id, notice_steps.c.step)
            )
            new = {(r.escalation_id, r.step) for r in claimed}
            steps = [s for s in notice.steps if (s.escalation_id, s.key) in new]
            if not steps:
                continue
            status = DeliveryStatus.MUTED if notice.muted else DeliveryStatus.PENDING
            await self.connection.execute(
                notice_deliveries.insert().values(
                    delivery_id=delivery_id,
                    subscription_id=subscription_id,
                    status=status.value,
                    steps=[step_json(s) for s in steps],
                )
            )
            recorded += 1
        return recorded

    async def claim_due(self, limit: int, lease_seconds: float) -> list[Delivery]:
        """Pending deliveries whose time has come, each leased for `lease_seconds` (its next
        attempt put off by that much) once the transaction commits; rows another transaction
        holds are skipped, never waited for."""
        due = (
            select(
                notice_deliveries.c.delivery_id,
                notice_deliveries.c.steps,
                notice_deliveries.c.attempts,
                func.extract("epoch", func.now() - notice_deliveries.c.created_at).label("age"),
                *notice_subscriptions.c,
            )
            .join(
                notice_subscriptions,
                notice_subscriptions.c.subscription_id == notice_deliveries.c.subscription_id,
            )
            .where(notice_deliveries.c.status == DeliveryStatus.PENDING.value)
            .where(notice_deliveries.c.next_attempt_at <= func.now())
            .order_by(notice_deliveries.c.next_attempt_at, notice_deliveries.c.delivery_id)
            .limit(limit)
            .with_for_update(of=notice_deliveries, skip_locked=True)
        )
        claimed = [
            Delivery(
                delivery_id=r.delivery_id,
                subscription=subscription_of(r._mapping),
                steps=tuple(step_of(s) for s in r.steps),
                attempts=r.attempts,
                age_seconds=float(r.age),
            )
            for r in await self.connection.execute(due)
        ]
        if claimed:
            await self.connection.execute(
                update(notice_deliveries)
                .where(notice_deliveries.c.delivery_id.in_([d.delivery_id for d in claimed]))
                .values(next_attempt_at=func.now() + timedelta(seconds=lease_seconds))
            )
        return claimed

    async def sent(self, delivery_id: str) -> None:
        await self.connection.execute(
            update(notice_deliveries)
            .where(notice_deliveries.c.delivery_id == delivery_id)
            .values(
                status=DeliveryStatus.SENT.value,
                attempts=notice_deliveries.c.attempts + 1,
                sent_at=func.now(),
                last_error=None,
            )
        )

    async def attempt_failed(self, delivery_id: str, error: str, retry_in: float | None) -> None:
        """A failed attempt: tried again in `retry_in` seconds, or given up (None)."""
        values: dict[str, Any] = {
            "attempts": notice_deliveries.c.attempts + 1,
            "last_error": error[:2000],
        }
        if retry_in is None:
            values["status"] = DeliveryStatus.FAILED.value
        else:
            values["next_attempt_at"] = func.now() + timedelta(seconds=retry_in)
        await self.connection.execute(
            update(notice_deliveries)
            .where(notice_deliveries.c.delivery_id == delivery_id)
            .values(**values)
        )

    async def give_up_pending(self, subscription_id: str, why: str) -> None:
        await self.connection.execute(
            update(notice_deliveries)
            .where(notice_deliveries.c.subscription_id == subscription_id)
            .where(notice_deliveries.c.status == DeliveryStatus.PENDING.value)
            .values(status=DeliveryStatus.FAILED.value, last_error=why)
        )

    async def listed(
        self,
        county: str | None,
        subscription_id: str | None,
        status: DeliveryStatus | None,
        limit: int,
        campaign_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Deliveries, newest first (of `county`'s subscriptions, of the campaign's, unless
        None)."""
        query: Select[Any] = (
            select(notice_deliveries, notice_subscriptions.c.subscriber)
            .join(
                notice_subscriptions,
                notice_subscriptions.c.subscription_id == notice_deliveries.c.subscription_id,
            )
            .order_by(notice_deliveries.c.created_at.desc(), notice_deliveries.c.delivery_id)
            .limit(limit)
        )
        conditions = []
        if county is not None:
            conditions.append(notice_subscriptions.c.county_code == county)
        if subscription_id is not None:
            conditions.append(notice_deliveries.c.subscription_id == subscription_id)
        if status is not None:
            conditions.append(notice_deliveries.c.status == status.value)
        if campaign_id is not None:
            conditions.append(notice_subscriptions.c.campaign_id == campaign_id)
        if conditions:
            query = query.where(and_(*conditions))
        return [dict(r._mapping) for r in await self.connection.execute(query)]


def step_json(step: Step) -> dict[str, Any]:
    return {
        "escalation_id": step.escalation_id,
        "step": step.key,
        "unit_id": step.unit_id,
        "name": step.name,
        "level": step.level,
        "reason": step.reason.value,
        "severity": step.severity.value,
        "kind": step.kind.value,
        "previous_severity": None
        if step.previous_severity is None
        else step.previous_severity.value,
        "as_of": step.as_of.isoformat(),
        "figures": dict(step.figures),
        "campaign_id": step.campaign_id,
    }


def step_of(data: Mapping[str, Any]) -> Step:
    previous = data.get("previous_severity")
    return Step(
        escalation_id=data["escalation_id"],
        unit_id=data["unit_id"],
        level=data["level"],
        reason=EscalationReason(data["reason"]),
        severity=Severity(data["severity"]),
        kind=StepKind(data["kind"]),
        as_of=date.fromisoformat(data["as_of"]),
        name=data.get("name", ""),
        previous_severity=None if previous is None else Severity(previous),
        figures=data.get("figures", {}),
        campaign_id=data.get("campaign_id", ""),
    )
