"""Transactional outbox: outgoing Kafka records are rows written in the same transaction as
the state change that caused them; a relay publishes them in order, at least once.

A record published but not yet marked sent (the relay died in between) is published again
after a restart: consumers deduplicate by the event's (source, id) in their inbox.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from aiokafka import AIOKafkaProducer
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    Table,
    Text,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.cancellation import raise_if_cancelling
from shared.db import insert_rows
from shared.envelope import Envelope, to_structured
from shared.retrying import backoff_seconds

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 3600.0
MAX_BACKOFF_SECONDS = 5.0


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("topic", Text, nullable=False),
        Column("key", LargeBinary),
        Column("value", LargeBinary),
        # [[name, base64(value)], ...]: header values are bytes, and order is kept.
        Column("headers", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        # The relay reads only unpublished rows, in id order: a small partial index.
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = field(default_factory=tuple)

    @classmethod
    def event(cls, topic: str, key: str, event: Envelope) -> OutgoingRecord:
        value, headers = to_structured(event)
        return cls(topic=topic, key=key.encode(), value=value, headers=tuple(headers))


class Outbox:
    """Writes records inside the caller's transaction."""

    def __init__(self, table: Table) -> None:
        self.table = table

    async def add(self, connection: AsyncConnection, records: Sequence[OutgoingRecord]) -> None:
        if not records:
            return
        await insert_rows(
            connection,
            self.table,
            [
                {
                    "topic": r.topic,
                    "key": r.key,
                    "value": r.value,
                    "headers": [[n, base64.b64encode(v).decode()] for n, v in r.headers],
                }
                for r in records
            ],
        )


@dataclass(frozen=True)
class OutboxSink:
    """The outbox of one transaction: where a unit of work's records are written."""

    outbox: Outbox
    connection: AsyncConnection

    async def add(self, records: Sequence[OutgoingRecord]) -> None:
        await self.outbox.add(self.connection, records)


Publish = Callable[[Sequence[OutgoingRecord]], Awaitable[None]]


class OutboxRelay:
    """Publishes unsent outbox rows in id order, one batch per transaction.

    `FOR UPDATE` keeps a second relay of the same service (another replica) waiting instead of
    publishing the same rows out of order. After a publish the relay marks the rows sent; a
    crash in between means a second publication, never a lost one.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        producer_factory: Callable[[], AIOKafkaProducer],
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
        stall_seconds: float = 30.0,
        retention: timedelta = timedelta(days=7),
        after_publish: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.engine = engine
        self.table = table
        self.producer_factory = producer_factory
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.stall_seconds = stall_seconds
        self.after_publish = after_publish
        self.retention = retention
        self._next_purge = 0.0
        self.wakeup = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None

    def notify(self) -> None:
        """Called after a commit that wrote outbox rows, so they leave without waiting."""
        self.wakeup.set()

    async def run(self) -> None:
        """Relay until cancelled. Whatever fails (the database gone, a broker down, a
        producer wedged for good: aiokafka's idempotent producer can stop at
        `OutOfOrderSequenceNumber` after a short outage and never send again) costs the
        producer: a new one, with a new producer id, sends the batch again after a pause that
        grows while failures go on. Records of the batch that the old one had delivered are
        published twice, and consumers' inboxes absorb the copies."""
        failures = 0
        try:
            while True:
                raise_if_cancelling()
                try:
                    published = await self.relay_once()
                except Exception:
                    raise_if_cancelling()
                    failures += 1
                    log.exception("outbox relay failed; replacing the producer and retrying")
                    await self._drop_producer()
                    published = 0
                    await asyncio.sleep(
                        backoff_seconds(failures, MAX_BACKOFF_SECONDS, self.poll_seconds)
                    )
                    continue
                failures = 0
                if published < self.batch_size:
                    await self._purge_when_due()
                    await self._wait()
        finally:
            await self._drop_producer()

    async def relay_once(self) -> int:
        """Publish one batch of unsent rows; return how many were published."""
        async with self.engine.begin() as connection:
            rows = (
                await connection.execute(
                    select(self.table)
                    .where(self.table.c.published_at.is_(None))
                    .order_by(self.table.c.id)
                    .limit(self.batch_size)
                    .with_for_update()
                )
            ).all()
            if not rows:
                return 0
            await self._publish([stored_record(row) for row in rows])
            last_id = rows[-1].id
            if self.after_publish is not None:
                await self.after_publish(last_id)
            await connection.execute(
                update(self.table)
                .where(self.table.c.id.in_([row.id for row in rows]))
                .values(published_at=func.now())
            )
        return len(rows)

    async def purge(self) -> int:
        """Delete rows published longer ago than the retention: the topics are the record."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                delete(self.table).where(self.table.c.published_at < func.now() - self.retention)
            )
        return int(result.rowcount or 0)

    async def _purge_when_due(self) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        try:
            purged = await self.purge()
        except Exception:
            log.warning("purging the outbox failed; trying again later", exc_info=True)
        else:
            if purged:
                log.info("purged %d published outbox rows", purged)

    async def pending(self) -> int:
        async with self.engine.connect() as connection:
            count = await connection.scalar(
                select(func.count())
                .select_from(self.table)
                .where(self.table.c.published_at.is_(None))
            )
        return int(count or 0)

    async def _publish(self, records: Sequence[OutgoingRecord]) -> None:
        producer = await self._ensure_producer()
        sends = [
            await producer.send(r.topic, value=r.value, key=r.key, headers=list(r.headers))
            for r in records
        ]
        # A producer stuck after a broker outage never resolves its futures: give up on it
        # after stall_seconds, so that run() replaces it.
        async with asyncio.timeout(self.stall_seconds):
            await asyncio.gather(*sends)

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = self.producer_factory()
            await producer.start()
            self._producer = producer
        return self._producer

    async def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                async with asyncio.timeout(self.stall_seconds):
                    await producer.stop()
            except Exception:
                log.warning("stopping a failed producer raised", exc_info=True)

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.poll_seconds):
                await self.wakeup.wait()
        self.wakeup.clear()


def stored_record(row: object) -> OutgoingRecord:
    """The record an outbox row holds, as the relay publishes it."""
    return OutgoingRecord(
        topic=row.topic,  # type: ignore[attr-defined]
        key=row.key,  # type: ignore[attr-defined]
        value=row.value,  # type: ignore[attr-defined]
        headers=tuple(
            (name, base64.b64decode(value))
            for name, value in row.headers  # type: ignore[attr-defined]
        ),
    )
