"""The live feed's fan-out: every client gets every event, a slow one is dropped, and a
client that goes leaves nothing behind."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from assessment.dashboard.feed import Broadcaster, FeedEvent, event_stream, feed_event
from shared.envelope import Envelope, new_event


def event(n: int) -> FeedEvent:
    return FeedEvent("escalation", f"e{n}", {"unit_id": "icbc", "n": n})


async def never_disconnected() -> bool:
    return False


async def test_every_subscriber_receives_every_event() -> None:
    broadcaster = Broadcaster()
    with broadcaster.subscription() as first, broadcaster.subscription() as second:
        broadcaster.publish(event(1))
        assert (await first.get(), await second.get()) == (event(1), event(1))
    assert broadcaster.subscribers == 0


async def test_a_slow_subscriber_is_dropped_and_the_others_keep_up() -> None:
    broadcaster = Broadcaster(queue_size=2)
    with broadcaster.subscription() as slow, broadcaster.subscription() as quick:
        for n in range(3):
            broadcaster.publish(event(n))
            if n < 2:
                await quick.get()
        assert broadcaster.dropped == 2 - 1
        assert await quick.get() == event(2)
        # The slow one's stream ends: its queue closes with the end marker.
        drained = [slow.get_nowait() for _ in range(slow.qsize())]
        assert drained[-1] is None
    assert broadcaster.subscribers == 0


async def test_the_stream_sends_events_and_heartbeats_and_unsubscribes_when_closed() -> None:
    broadcaster = Broadcaster()
    stream = event_stream(broadcaster, 0.05, never_disconnected)
    assert (await anext(stream)).startswith("retry:")
    assert broadcaster.subscribers == 1
    assert await anext(stream) == ": heartbeat\n\n"
    broadcaster.publish(event(7))
    sent = await anext(stream)
    assert sent.startswith("event: escalation\nid: e7\ndata: ")
    assert sent.endswith('"n":7}\n\n')
    await stream.aclose()
    assert broadcaster.subscribers == 0


async def test_a_cancelled_stream_unsubscribes() -> None:
    broadcaster = Broadcaster()

    connected = asyncio.Event()

    async def consume() -> None:
        async for _ in event_stream(broadcaster, 10, never_disconnected):
            connected.set()

    task = asyncio.create_task(consume())
    await connected.wait()
    assert broadcaster.subscribers == 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert broadcaster.subscribers == 0


def test_only_escalations_and_attainment_reach_the_browser() -> None:
    def envelope(name: str) -> Envelope:
        return new_event(
            name, "urn:firstloan:assessment", {"unit_id": "icbc"}, time=datetime.now(UTC)
        )

    raised = feed_event(envelope("EscalationRaised"))
    assert raised is not None
    assert (raised.name, raised.data["type"]) == ("escalation", "EscalationRaised")
    updated = feed_event(envelope("AttainmentUpdated"))
    assert updated is not None
    assert updated.name == "attainment"
    assert feed_event(envelope("LedgerOverdue")) is None
