"""Notices through assessment's handlers over the in-memory store: a checkpoint's
escalations reach each subscription as one notice, muted ones are recorded, and a delivery
round records how each attempt went."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from assessment.commands import DeliverNotices, EndSubscription, Mute, RunCheckpoint, Subscribe
from assessment.domain.notices import Channel, Delivery, DeliveryStatus, RetryPolicy
from assessment.handlers import Handlers, Postman
from shared.contracts.assessment import EscalationReason, Severity
from shared.reference import load_reference
from shared.testing import transactions_over, unit_of_work_over
from shared.webhook_targets import TargetPolicy

from .fakes import InMemoryStore

REFERENCE = load_reference()
TODAY = datetime(2020, 10, 1, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
CHECKPOINT = RunCheckpoint(date(2020, 9, 30))
XINFU = "140902"


class Receiver:
    """Takes notices, or refuses them while `down`."""

    def __init__(self) -> None:
        self.taken: list[Delivery] = []
        self.down = False

    async def take(self, delivery: Delivery) -> None:
        if self.down:
            raise ConnectionRefusedError("the receiver is down")
        self.taken.append(delivery)


def handlers(receiver: Receiver) -> Handlers:
    postman = Postman(
        receiver.take,
        RetryPolicy(first_seconds=1, give_up_seconds=3600),
        TargetPolicy.parse("127.0.0.1"),
    )
    return Handlers(lambda: REFERENCE, lambda: TODAY, postman)


def subscribe(**filters: Any) -> Subscribe:
    return Subscribe(
        "supervisor:wang",
        None,
        Channel.WEBHOOK,
        "http://127.0.0.1:9/robot",
        Severity.WARNING,
        **filters,
    )


def statuses(store: InMemoryStore) -> list[tuple[DeliveryStatus, int, int]]:
    """(status, steps, attempts) of each delivery."""
    return [(s, len(n.steps), a) for n, s, a, _ in store.deliveries.notices.values()]


async def test_a_checkpoint_reaches_each_subscription_once_as_one_notice() -> None:
    store, receiver = InMemoryStore(), Receiver()
    handle = handlers(receiver)
    await handle.subscribe(unit_of_work_over(store), subscribe())
    await handle.subscribe(unit_of_work_over(store), subscribe(unit_id=XINFU))
    raised = await handle.run_checkpoint(unit_of_work_over(store), CHECKPOINT)
    assert len(raised) > 2
    assert sorted(statuses(store)) == [
        (DeliveryStatus.PENDING, 1, 0),
        (DeliveryStatus.PENDING, len(raised), 0),
    ]
    assert await handle.deliver_notices(transactions_over(store), DeliverNotices(10)) == 2
    assert await handle.deliver_notices(transactions_over(store), DeliverNotices(10)) == 0
    assert len(receiver.taken) == 2
    assert {s for s, _, _ in statuses(store)} == {DeliveryStatus.SENT}


async def test_a_failed_attempt_is_recorded_and_tried_again() -> None:
    store, receiver = InMemoryStore(), Receiver()
    handle = handlers(receiver)
    await handle.subscribe(unit_of_work_over(store), subscribe(unit_id=XINFU))
    await handle.run_checkpoint(unit_of_work_over(store), CHECKPOINT)
    receiver.down = True
    assert await handle.deliver_notices(transactions_over(store), DeliverNotices(10)) == 0
    [(notice, status, attempts, error)] = store.deliveries.notices.values()
    assert (status, attempts) == (DeliveryStatus.PENDING, 1)
    assert error == "ConnectionRefusedError: the receiver is down"
    receiver.down = False
    assert await handle.deliver_notices(transactions_over(store), DeliverNotices(10)) == 1
    assert [d.steps for d in receiver.taken] == [notice.steps]


async def test_muted_notices_are_recorded_never_sent() -> None:
    store, receiver = InMemoryStore(), Receiver()
    handle = handlers(receiver)
    await handle.subscribe(unit_of_work_over(store), subscribe(unit_id=XINFU))
    mute = Mute(
        "supervisor:li",
        None,
        TODAY + timedelta(days=7),
        "整改期内",
        reason=EscalationReason.UNDER_TARGET,
    )
    await handle.mute(unit_of_work_over(store), mute)
    await handle.run_checkpoint(unit_of_work_over(store), CHECKPOINT)
    assert statuses(store) == [(DeliveryStatus.MUTED, 1, 0)]
    assert await handle.deliver_notices(transactions_over(store), DeliverNotices(10)) == 0
    assert receiver.taken == []


async def test_an_ended_subscription_hears_nothing_more() -> None:
    store, receiver = InMemoryStore(), Receiver()
    handle = handlers(receiver)
    subscribed = await handle.subscribe(unit_of_work_over(store), subscribe())
    await handle.run_checkpoint(unit_of_work_over(store), CHECKPOINT)
    end = EndSubscription(subscribed.subscription_id, None, "supervisor:wang")
    assert await handle.end_subscription(unit_of_work_over(store), end)
    assert not await handle.end_subscription(unit_of_work_over(store), end)
    assert [s for s, _, _ in statuses(store)] == [DeliveryStatus.FAILED]
    assert await handle.deliver_notices(transactions_over(store), DeliverNotices(10)) == 0


async def test_a_county_ends_only_its_own_subscriptions() -> None:
    store = InMemoryStore()
    handle = handlers(Receiver())
    central = await handle.subscribe(unit_of_work_over(store), subscribe())
    end = EndSubscription(central.subscription_id, XINFU, "county:140902")
    assert not await handle.end_subscription(unit_of_work_over(store), end)
    assert await store.subscriptions.active() == [central]
