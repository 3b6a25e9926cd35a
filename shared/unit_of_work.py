"""The unit of work every command handler and event handler runs in: one transaction for the
state change and the events it publishes (written to the outbox in that transaction)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.contracts import EventData
from shared.envelope import Envelope, new_event
from shared.outbox import Outbox, OutgoingRecord


class UnitOfWork:
    def __init__(
        self,
        connection: AsyncConnection,
        outbox: Outbox,
        topic_name: Callable[[str], str],
        source: str,
    ) -> None:
        self.connection = connection
        self.source = source
        self._outbox = outbox
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
        await self._outbox.add(self.connection, self._pending)
        self.published += len(self._pending)
        self._pending = []
