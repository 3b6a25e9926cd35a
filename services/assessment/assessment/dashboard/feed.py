"""The live feed: assessment's own output topics, fanned out to every open dashboard.

Each assessment process reads `assessment.escalations` and `assessment.attainment` with no
consumer group, so every process sees every event, from the moment it started (nothing is
replayed: the tables give the state, the feed gives what changes). Events go to the
connected browsers through a `Broadcaster` of bounded queues: a browser that does not keep up
is dropped (its EventSource reconnects), and the consumer never waits for anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy

from shared.envelope import TYPE_PREFIX, Envelope, parse_record
from shared.service import Runtime
from shared.topics import ASSESSMENT_ATTAINMENT, ASSESSMENT_ESCALATIONS

log = logging.getLogger(__name__)

QUEUE_SIZE = 256
# What the browser's EventSource listens for, per CloudEvents type.
SSE_EVENTS = {
    "EscalationRaised": "escalation",
    "EscalationResolved": "escalation",
    "AttainmentUpdated": "attainment",
}


@dataclass(frozen=True)
class FeedEvent:
    """One server-sent event: `event:` name, `id:` and a JSON `data:` line."""

    name: str
    event_id: str
    data: dict[str, Any]

    def encode(self) -> str:
        payload = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return f"event: {self.name}\nid: {self.event_id}\ndata: {payload}\n\n"


def feed_event(envelope: Envelope) -> FeedEvent | None:
    name = envelope.type.removeprefix(TYPE_PREFIX)
    sse_name = SSE_EVENTS.get(name)
    if sse_name is None:
        return None
    return FeedEvent(sse_name, envelope.id, {"type": name, **envelope.data})


class Broadcaster:
    """Fan-out to subscribers, each with a bounded queue; `None` in a queue ends its stream."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._queues: set[asyncio.Queue[FeedEvent | None]] = set()
        self.dropped = 0

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def publish(self, event: FeedEvent) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._drop(queue)

    def _drop(self, queue: asyncio.Queue[FeedEvent | None]) -> None:
        self.dropped += 1
        self._end(queue)
        log.info("a slow dashboard client was dropped from the live feed")

    def _end(self, queue: asyncio.Queue[FeedEvent | None]) -> None:
        self._queues.discard(queue)
        if queue.full():  # make room for the end marker, so that the stream finishes
            queue.get_nowait()
        queue.put_nowait(None)

    @contextlib.contextmanager
    def subscription(self) -> Any:
        queue: asyncio.Queue[FeedEvent | None] = asyncio.Queue(self._queue_size)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    def close(self) -> None:
        """End every open stream (the service is stopping)."""
        for queue in list(self._queues):
            self._end(queue)


async def event_stream(
    broadcaster: Broadcaster,
    heartbeat_seconds: float,
    disconnected: Callable[[], Awaitable[bool]],
    campaign_id: str | None = None,
) -> AsyncGenerator[str, None]:
    """The text/event-stream body of one client (of one campaign's events, when named; an
    event naming no campaign is every campaign's). Runs no task of its own: when the client
    goes, the server cancels this generator and the subscription ends with it."""
    with broadcaster.subscription() as queue:
        yield f"retry: 3000\n: connected, {broadcaster.subscribers} client(s)\n\n"
        while True:
            try:
                async with asyncio.timeout(heartbeat_seconds):
                    event = await queue.get()
            except TimeoutError:
                if await disconnected():
                    return
                yield ": heartbeat\n\n"
                continue
            if event is None:
                return
            if campaign_id is not None and event.data.get("campaign_id") not in (None, campaign_id):
                continue
            yield event.encode()


# The platform's topics carry well-formed events, but a record this feed cannot read must
# never stop it: parse it ourselves instead of letting FastStream decode headers.
async def _raw_parser(
    record: Any, original: Callable[[Any], Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    message = await original(dataclasses.replace(record, headers=[]))
    message.raw_message = record
    return message


async def _raw_decoder(message: StreamMessage[Any]) -> Any:
    return message.raw_message


def subscribe_feed(runtime: Runtime, broadcaster: Broadcaster) -> None:
    """Consume assessment's output topics in this process, without a group, from now on."""
    subscriber = runtime.broker.subscriber(
        runtime.settings.topic(ASSESSMENT_ESCALATIONS),
        runtime.settings.topic(ASSESSMENT_ATTAINMENT),
        group_id=None,
        auto_offset_reset="latest",
        ack_policy=AckPolicy.ACK_FIRST,
        parser=_raw_parser,
        decoder=_raw_decoder,
        title=f"{runtime.settings.service}.dashboard-feed",
    )

    @subscriber
    async def relay_to_dashboards(message: KafkaMessage) -> None:
        record = message.raw_message
        envelope = parse_record(record.value, record.headers)  # type: ignore[union-attr]
        if isinstance(envelope, Envelope):
            event = feed_event(envelope)
            if event is not None:
                broadcaster.publish(event)
