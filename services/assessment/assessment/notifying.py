"""Telling subscribers of escalations: notices recorded in the unit of work that moved the
ladder (their own outbox), and the delivery round that sends the due ones."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime

from assessment.domain.escalation import Changes
from assessment.domain.notices import Delivery, RetryPolicy, notices_for, steps_of
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


async def tell_subscribers(
    uow: UnitOfWork[Store], changes: Changes, as_of: date, now: datetime
) -> int:
    """Record a notice per subscription for the steps this move of the ladder made that it
    matches (muted where a silence covers them now); how many were recorded."""
    if not (changes.raised or changes.upgraded or changes.resolved):
        return 0
    store = uow.store
    subscriptions = await store.subscriptions.active()
    if not subscriptions:
        return 0
    units = {f.unit_id for f in changes.raised}
    units |= {e.unit_id for e, _ in changes.upgraded} | {e.unit_id for e in changes.resolved}
    steps = steps_of(changes, await store.deliveries.escalations_of(units), as_of)
    silences = await store.subscriptions.silences_at(now)
    return await store.deliveries.enqueue(notices_for(steps, subscriptions, silences, now))


async def deliver_due(
    transactions: Transactions, postman: Postman, limit: int, lease_seconds: float
) -> int:
    """Send the due notices this round could claim (others' claims are skipped), and
    record how each went; how many were sent.

    A claim is a lease, committed before anything is sent: another round (or replica) takes
    the notice only once the lease has run out. Each outcome commits on its own as soon as
    the receiver has answered, so a crash re-sends only the notices in flight at that
    moment, with the id every attempt of a notice carries (the receiver deduplicates)."""
    async with transactions() as uow:
        claimed = await uow.store.deliveries.claim_due(limit, lease_seconds)
    # At once: a receiver that is down holds the round for one timeout, not one per notice.
    outcomes = await asyncio.gather(*(_deliver(transactions, postman, d) for d in claimed))
    return sum(outcomes)


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
