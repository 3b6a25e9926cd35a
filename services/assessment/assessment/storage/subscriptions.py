"""Who wants to hear of which escalations (subscriptions) and what is muted when (silences)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.notices import Channel, Silence, Subscription, WebhookFormat
from assessment.storage.tables import notice_silences, notice_subscriptions
from shared.contracts.assessment import EscalationReason, Severity


class SqlSubscriptionRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def add(self, subscription: Subscription, now: datetime) -> None:
        await self.connection.execute(
            notice_subscriptions.insert().values(
                subscription_id=subscription.subscription_id,
                campaign_id=subscription.campaign_id,
                subscriber=subscription.subscriber,
                county_code=subscription.county,
                channel=subscription.channel.value,
                target=subscription.target,
                webhook_format=subscription.webhook_format.value,
                min_severity=subscription.min_severity.value,
                unit_id=subscription.unit_id,
                level=subscription.level,
                reason=None if subscription.reason is None else subscription.reason.value,
                created_at=now,
            )
        )

    async def end(self, subscription_id: str, county: str | None, now: datetime) -> bool:
        """End an active subscription (of `county` only, unless None); whether one was."""
        statement = (
            update(notice_subscriptions)
            .where(notice_subscriptions.c.subscription_id == subscription_id)
            .where(notice_subscriptions.c.ended_at.is_(None))
            .values(ended_at=now)
        )
        if county is not None:
            statement = statement.where(notice_subscriptions.c.county_code == county)
        result = await self.connection.execute(statement)
        return result.rowcount > 0

    async def active(self) -> list[Subscription]:
        rows = await self.connection.execute(
            select(notice_subscriptions)
            .where(notice_subscriptions.c.ended_at.is_(None))
            .order_by(notice_subscriptions.c.subscription_id)
        )
        return [subscription_of(r._mapping) for r in rows]

    async def listed(
        self, county: str | None, campaign_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Every subscription (of `county`, of the campaign, unless None), newest first,
        ended ones too."""
        query: Select[Any] = select(notice_subscriptions).order_by(
            notice_subscriptions.c.created_at.desc(), notice_subscriptions.c.subscription_id
        )
        if county is not None:
            query = query.where(notice_subscriptions.c.county_code == county)
        if campaign_id is not None:
            query = query.where(notice_subscriptions.c.campaign_id == campaign_id)
        return [dict(r._mapping) for r in await self.connection.execute(query)]

    async def add_silence(self, silence: Silence) -> None:
        await self.connection.execute(
            notice_silences.insert().values(
                silence_id=silence.silence_id,
                campaign_id=silence.campaign_id,
                created_by=silence.created_by,
                county_code=silence.county,
                unit_id=silence.unit_id,
                reason=None if silence.reason is None else silence.reason.value,
                starts_at=silence.starts_at,
                ends_at=silence.ends_at,
                why=silence.why,
            )
        )

    async def silences_at(self, at: datetime) -> list[Silence]:
        rows = await self.connection.execute(
            select(notice_silences)
            .where(notice_silences.c.starts_at <= at)
            .where(notice_silences.c.ends_at > at)
        )
        return [_silence(r._mapping) for r in rows]

    async def silences(self, county: str | None, campaign_id: str | None = None) -> list[Silence]:
        query = select(notice_silences).order_by(notice_silences.c.starts_at.desc())
        if county is not None:
            query = query.where(notice_silences.c.county_code == county)
        if campaign_id is not None:
            query = query.where(notice_silences.c.campaign_id == campaign_id)
        return [_silence(r._mapping) for r in await self.connection.execute(query)]


def subscription_of(row: Any) -> Subscription:
    return Subscription(
        subscription_id=row["subscription_id"],
        subscriber=row["subscriber"],
        county=row["county_code"],
        channel=Channel(row["channel"]),
        target=row["target"],
        webhook_format=WebhookFormat(row["webhook_format"]),
        min_severity=Severity(row["min_severity"]),
        unit_id=row["unit_id"],
        level=row["level"],
        reason=None if row["reason"] is None else EscalationReason(row["reason"]),
        campaign_id=row["campaign_id"],
    )


def _silence(row: Any) -> Silence:
    return Silence(
        silence_id=row["silence_id"],
        created_by=row["created_by"],
        county=row["county_code"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        why=row["why"],
        unit_id=row["unit_id"],
        reason=None if row["reason"] is None else EscalationReason(row["reason"]),
        campaign_id=row["campaign_id"],
    )
