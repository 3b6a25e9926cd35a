"""Telling subscribers of escalations: subscriptions and silences, the notices recorded in
the unit of work that moved the ladder (their own outbox), and the delivery round that sends
the due ones."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime

from assessment.commands import DeliverNotices, EndSubscription, Mute, Subscribe
from assessment.domain.escalation import Changes
from assessment.domain.notices import (
    Channel,
    Delivery,
    RetryPolicy,
    Silence,
    Subscription,
    notices_for,
    steps_of,
)
from assessment.handlers.base import HandlerBase
from assessment.storage import Store
from shared.cancellation import raise_if_cancelling
from shared.unit_of_work import UnitOfWork
from shared.webhook_targets import TargetPolicy

Send = Callable[[Delivery], Awaitable[None]]
Transactions = Callable[[], AbstractAsyncContextManager[UnitOfWork[Store]]]


@dataclass(frozen=True)
class Postman:
    """How notices leave: the senders, how a failed attempt is retried, and where a webhook
    may point (checked at subscription; the senders check again at each send)."""

    send: Send
    policy: RetryPolicy
    targets: TargetPolicy


class NoticeHandlers(HandlerBase):
    async def subscribe(self, uow: UnitOfWork[Store], command: Subscribe) -> Subscription:
        """Raises TargetRefusedError for a webhook the target policy does not let the
        platform call."""
        if command.channel is Channel.WEBHOOK:
            await self._postman().targets.check(command.target)
        subscription = Subscription(
            subscription_id=str(uuid.uuid4()),
            subscriber=command.subscriber,
            county=command.county,
            channel=command.channel,
            target=command.target,
            min_severity=command.min_severity,
            unit_id=command.unit_id,
            level=command.level,
            reason=command.reason,
            webhook_format=command.webhook_format,
            campaign_id=command.campaign_id,
        )
        await uow.store.subscriptions.add(subscription, self.now())
        return subscription

    async def end_subscription(self, uow: UnitOfWork[Store], command: EndSubscription) -> bool:
        """Whether an active subscription (of the command's county) was ended."""
        ended = await uow.store.subscriptions.end(
            command.subscription_id, command.county, self.now()
        )
        if ended:
            why = f"the subscription was ended by {command.actor}"
            await uow.store.deliveries.give_up_pending(command.subscription_id, why)
        return ended

    async def mute(self, uow: UnitOfWork[Store], command: Mute) -> Silence:
        """Raises ValueError for a silence that names nothing or ends before it starts."""
        silence = Silence(
            silence_id=str(uuid.uuid4()),
            created_by=command.created_by,
            county=command.county,
            starts_at=command.starts_at or self.now(),
            ends_at=command.ends_at,
            why=command.why,
            unit_id=command.unit_id,
            reason=command.reason,
            campaign_id=command.campaign_id,
        )
        await uow.store.subscriptions.add_silence(silence)
        return silence

    async def tell_subscribers(
        self,
        uow: UnitOfWork[Store],
        campaign_id: str,
        changes: Changes,
        as_of: date,
        now: datetime,
    ) -> int:
        """Record a notice per subscription for the steps this move of the campaign's ladder
        made that it matches (muted where a silence covers them now); how many were
        recorded."""
        if not (changes.raised or changes.upgraded or changes.resolved):
            return 0
        store = uow.store
        subscriptions = await store.subscriptions.active()
        if not subscriptions:
            return 0
        units = {f.unit_id for f in changes.raised}
        units |= {e.unit_id for e, _ in changes.upgraded} | {e.unit_id for e in changes.resolved}
        known = await store.deliveries.escalations_of(units, campaign_id)
        steps = steps_of(changes, known, as_of, campaign_id)
        silences = await store.subscriptions.silences_at(now)
        return await store.deliveries.enqueue(notices_for(steps, subscriptions, silences, now))

    async def deliver_notices(self, transactions: Transactions, command: DeliverNotices) -> int:
        """Send the due notices this round could claim (others' claims are skipped), and
        record how each went; how many were sent.

        A claim is a lease, committed before anything is sent: another round (or replica)
        takes the notice only once the lease has run out. Each outcome commits on its own as
        soon as the receiver has answered, so a crash re-sends only the notices in flight at
        that moment, with the id every attempt of a notice carries (the receiver
        deduplicates)."""
        postman = self._postman()
        async with transactions() as uow:
            claimed = await uow.store.deliveries.claim_due(command.limit, command.lease_seconds)
        # At once: a receiver that is down holds the round for one timeout, not one per notice.
        outcomes = await asyncio.gather(*(_deliver(transactions, postman, d) for d in claimed))
        return sum(outcomes)

    def _postman(self) -> Postman:
        if self.postman is None:
            raise RuntimeError("these handlers were built without a postman: nothing sends")
        return self.postman


async def _deliver(transactions: Transactions, postman: Postman, delivery: Delivery) -> bool:
    problem = await _attempt(postman.send, delivery)
    async with transactions() as uow:
        deliveries = uow.store.deliveries
        if problem is None:
            await deliveries.sent(delivery.delivery_id)
            return True
        policy = postman.policy
        retry_in = (
            None if policy.gives_up(delivery.age_seconds) else policy.delay(delivery.attempts + 1)
        )
        await deliveries.attempt_failed(delivery.delivery_id, problem, retry_in)
    return False


async def _attempt(send: Send, delivery: Delivery) -> str | None:
    """None when the receiver took the notice; else why not. Whatever goes wrong with one
    notice is recorded against it, and the others of the round are still sent."""
    try:
        await send(delivery)
    except Exception as error:
        raise_if_cancelling()
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return None
