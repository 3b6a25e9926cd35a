"""The unit of work every command handler and event handler runs in: one transaction for the
state change (through the service's store) and the events it publishes (written to the
outbox in that same transaction).

`S` is the service's store: its repositories over the transaction's connection in the
running service, their in-memory fakes in a handler's unit test. Handlers see only the
store and `emit`; which transaction they run in is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

from shared.contracts import EventData
from shared.envelope import Envelope, new_event
from shared.outbox import OutgoingRecord

S = TypeVar("S", covariant=True)


class RecordSink(Protocol):
    """Where the records of a unit of work go when it is flushed: the outbox table in the
    unit's transaction, or a list in a unit test."""

    async def add(self, records: Sequence[OutgoingRecord]) -> None: ...


class UnitOfWork(Generic[S]):
    def __init__(
        self,
        store: S,
        sink: RecordSink,
        topic_name: Callable[[str], str],
        source: str,
    ) -> None:
        self.store = store
        self.source = source
        self._sink = sink
        self._topic_name = topic_name
        self._pending: list[OutgoingRecord] = []
        self.published = 0

    def emit(
        self, topic: str, key: str, data: EventData, *, subject: str | None = None
    ) -> Envelope:
        """Publish `data` as a new CloudEvent of type `cn.firstloan.<its class name>` from this
        service, keyed by `key` on the logical `topic`; return the event."""
        event = new_event(
            data.event_name(), self.source, data.model_dump(mode="json"), subject=subject
        )
        self.publish(topic, key, event)
        return event

    def publish(self, topic: str, key: str, event: Envelope) -> None:
        """Queue `event` on the logical `topic`, keyed by `key`; written at `flush`."""
        self._pending.append(OutgoingRecord.event(self._topic_name(topic), key, event))

    def publish_record(self, record: OutgoingRecord) -> None:
        """Queue a record whose topic is already the physical one (dead letters)."""
        self._pending.append(record)

    async def flush(self) -> None:
        await self._sink.add(self._pending)
        self.published += len(self._pending)
        self._pending = []
