"""The platform's way to consume: a batch of Kafka records becomes one database transaction.

In that transaction the inbox claims each event's (source, id), the service applies the fresh
events, and the outbox takes the events they caused and the dead letters of the batch. Only
after the commit are the offsets committed (the subscriber's ack), so a crash anywhere means a
redelivery, which the inbox turns into a no-op.

Bad input never stops consumption: a record that cannot be parsed or validated goes to the
dead-letter topic with its original bytes and headers and the reason. A record whose handling
fails for a reason that is not the infrastructure's is dead-lettered too, after its batch has
been retried one record at a time. An infrastructure failure (database or broker unreachable)
dead-letters nothing: the batch is retried, with backoff, until it goes through.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.audit import AuditEntry, AuditTrail, BatchEntry
from shared.cancellation import raise_if_cancelling
from shared.contracts import EventData
from shared.db import is_transient
from shared.envelope import (
    TYPE_PREFIX,
    DeadLetterReason,
    Envelope,
    Rejection,
    describe_errors,
    parse_record,
)
from shared.inbox import Claim, Entry, Inbox
from shared.metrics import DEAD_LETTERS
from shared.outbox import Outbox, OutboxSink, OutgoingRecord
from shared.retrying import backoff_seconds
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsumedRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def from_kafka(cls, record: object) -> ConsumedRecord:
        return cls(
            topic=record.topic,  # type: ignore[attr-defined]
            partition=record.partition,  # type: ignore[attr-defined]
            offset=record.offset,  # type: ignore[attr-defined]
            key=record.key,  # type: ignore[attr-defined]
            value=record.value,  # type: ignore[attr-defined]
            headers=tuple(record.headers or ()),  # type: ignore[attr-defined]
        )

    @property
    def place(self) -> tuple[str, int, int]:
        return (self.topic, self.partition, self.offset)

    @property
    def position_key(self) -> tuple[str, str]:
        """Inbox key of a record that has no valid event id: its place in the log."""
        return (f"kafka:{self.topic}:{self.partition}", str(self.offset))


P = TypeVar("P", bound=EventData, covariant=True)


@dataclass(frozen=True)
class Message(Generic[P]):
    """An accepted event: its envelope and its validated `data`; `record`, where it was
    read, is given to a registry's `conflicting_duplicates` handler (its evidence)."""

    envelope: Envelope
    payload: P
    record: ConsumedRecord | None = None


# A handler applies messages inside the batch's unit of work (and publishes what they
# cause). It is given every message of its batch that the registry routes to it, at once,
# so that it can load and save in bulk; it takes whatever lock it needs itself.
Handler = Callable[[UnitOfWork[Any], Sequence[Message[Any]]], Awaitable[None]]


@dataclass(frozen=True)
class Registry:
    """One consumer's `{event type: handler}`: both the types it accepts and where each goes.

    Types routed to one handler reach it together, in one call per batch, in the order they
    were consumed. `conflicting_duplicates`, if given, is told of every record that reused
    the (source, id) of another event (in the same transaction as its dead letter, so once).
    """

    handlers: Mapping[type[EventData], Handler]
    conflicting_duplicates: Handler | None = None

    @property
    def types(self) -> tuple[type[EventData], ...]:
        return tuple(self.handlers)

    def handles(self, message: Message[EventData]) -> bool:
        return type(message.payload) in self.handlers

    async def dispatch(self, uow: UnitOfWork[Any], messages: Sequence[Message[Any]]) -> None:
        batches: dict[Handler, list[Message[Any]]] = {}
        for message in messages:
            batches.setdefault(self.handlers[type(message.payload)], []).append(message)
        for handler, batch in batches.items():
            await handler(uow, batch)


# What a consumer makes of one record: an event to apply, a rejection, or None for a valid
# event this consumer has no interest in.
Accept = Callable[[ConsumedRecord], Message[EventData] | Rejection | None]
# The store of a unit of work over the batch's connection (the service's repositories).
StoreFactory = Callable[[AsyncConnection], Any]


def accept_events(models: Sequence[type[EventData]]) -> Accept:
    """Accept the platform events of the given types; ignore the other types of a topic."""
    by_type = {TYPE_PREFIX + model.event_name(): model for model in models}

    def accept(record: ConsumedRecord) -> Message[EventData] | Rejection | None:
        envelope = parse_record(record.value, record.headers)
        if isinstance(envelope, Rejection):
            return envelope
        model = by_type.get(envelope.type)
        if model is None:
            return None
        try:
            return Message(envelope, model.model_validate(envelope.data))
        except ValidationError as error:
            return Rejection(reason=DeadLetterReason.INVALID_DATA, detail=describe_errors(error))

    return accept


@dataclass
class _Copies:
    """The distinct copies (by fingerprint) of one (source, id) within a batch."""

    first: tuple[ConsumedRecord, Message[EventData]]
    others: list[tuple[ConsumedRecord, Message[EventData]]] = field(default_factory=list)

    def add(self, record: ConsumedRecord, message: Message[EventData]) -> None:
        seen = {m.envelope.fingerprint for _, m in (self.first, *self.others)}
        if message.envelope.fingerprint not in seen:
            self.others.append((record, message))

    def conflicting(self, winner: str) -> list[tuple[ConsumedRecord, Message[EventData]]]:
        return [(r, m) for r, m in (self.first, *self.others) if m.envelope.fingerprint != winner]


@dataclass
class Consumer:
    name: str
    engine: AsyncEngine
    inbox: Inbox
    outbox: Outbox
    dead_letter_topic: str
    topic_name: Callable[[str], str]
    source: str
    accept: Accept
    registry: Registry
    store: StoreFactory
    on_commit: Callable[[], None] = lambda: None
    # Set for input from outside the platform (bank topics): each batch's work is audited, a
    # row per partition and one per dead letter (shared/audit.py).
    audit: AuditTrail | None = None
    max_backoff_seconds: float = 30.0
    _failures: int = field(default=0, init=False)

    async def process(self, records: Sequence[ConsumedRecord]) -> None:
        try:
            try:
                await self._in_one_transaction(records)
            except Exception as error:
                if is_transient(error):
                    raise
                raise_if_cancelling()
                log.exception(
                    "%s: batch of %d failed; retrying record by record", self.name, len(records)
                )
                for record in records:
                    await self._alone(record)
        except Exception as error:
            if not is_transient(error):
                raise
            raise_if_cancelling()
            self._failures += 1
            delay = backoff_seconds(self._failures, self.max_backoff_seconds)
            log.warning(
                "%s: infrastructure unavailable, retrying in %.1fs", self.name, delay, exc_info=True
            )
            await asyncio.sleep(delay)
            raise
        self._failures = 0
        self.on_commit()

    async def _alone(self, record: ConsumedRecord) -> None:
        try:
            await self._in_one_transaction([record])
        except Exception as error:
            if is_transient(error):
                raise
            raise_if_cancelling()
            log.exception(
                "%s: record %s failed alone; dead-lettering it", self.name, record.position_key
            )
            rejection = Rejection(
                reason=DeadLetterReason.PROCESSING_FAILED, detail=f"{type(error).__name__}: {error}"
            )
            async with self.engine.begin() as connection:
                claim = await self.inbox.claim(
                    connection,
                    [(record.position_key, Entry("dead_letter", place=record.place))],
                )
                if claim.fresh:
                    await self.outbox.add(connection, [self._dead_letter(record, rejection)])
                    if self.audit is not None:
                        refused = [(record, rejection)]
                        await self.audit.record_batches(
                            connection,
                            _batch_entries(self.name, [record], [], refused),
                            _dead_letter_entries(refused),
                        )

    async def _in_one_transaction(self, records: Sequence[ConsumedRecord]) -> None:
        copies: dict[tuple[str, str], _Copies] = {}
        rejected: dict[tuple[str, str], tuple[ConsumedRecord, Rejection]] = {}
        for record in records:
            outcome = self.accept(record)
            if isinstance(outcome, Message) and self.registry.handles(outcome):
                key = outcome.envelope.dedup_key
                if key in copies:
                    copies[key].add(record, outcome)
                else:
                    copies[key] = _Copies((record, outcome))
            elif isinstance(outcome, Rejection):
                rejected[record.position_key] = (record, outcome)
        if not copies and not rejected:
            return
        async with self.engine.begin() as connection:
            claim = await self.inbox.claim(
                connection,
                [
                    (
                        key,
                        Entry(
                            c.first[1].envelope.type,
                            c.first[1].envelope.fingerprint,
                            c.first[0].place,
                        ),
                    )
                    for key, c in copies.items()
                ],
            )
            conflicting = [
                pair for key, c in copies.items() for pair in c.conflicting(_winner(key, c, claim))
            ]
            doubled = Rejection(
                reason=DeadLetterReason.CONFLICTING_DUPLICATE,
                detail="this (source, id) was already recorded with other content",
            )
            for record, message in conflicting:
                rejected[_conflict_key(message)] = (record, doubled)
            dead = await self.inbox.claim(
                connection,
                [(k, Entry("dead_letter", place=r.place)) for k, (r, _) in rejected.items()],
            )
            uow = UnitOfWork(
                self.store(connection),
                OutboxSink(self.outbox, connection),
                self.topic_name,
                self.source,
            )
            for key, (record, why) in rejected.items():
                if key in dead.fresh:
                    uow.publish_record(self._dead_letter(record, why))
            await self.registry.dispatch(
                uow, [c.first[1] for key, c in copies.items() if key in claim.fresh]
            )
            if self.audit is not None:
                applied = [c.first for key, c in copies.items() if key in claim.fresh]
                refused = [(r, why) for k, (r, why) in rejected.items() if k in dead.fresh]
                await self.audit.record_batches(
                    connection,
                    _batch_entries(self.name, records, applied, refused),
                    _dead_letter_entries(refused),
                )
            told = [replace(m, record=r) for r, m in conflicting if _conflict_key(m) in dead.fresh]
            if told and self.registry.conflicting_duplicates is not None:
                await self.registry.conflicting_duplicates(uow, told)
            await uow.flush()

    def _dead_letter(self, record: ConsumedRecord, rejection: Rejection) -> OutgoingRecord:
        DEAD_LETTERS.labels(self.name, rejection.reason.value).inc()
        log.warning(
            "%s: dead-lettering %s:%d@%d: %s (%s)",
            self.name,
            record.topic,
            record.partition,
            record.offset,
            rejection.reason,
            rejection.detail,
        )
        return OutgoingRecord(
            topic=self.dead_letter_topic,
            key=record.key,
            value=record.value,
            headers=(
                *record.headers,
                ("dlq_reason", rejection.reason.value.encode()),
                ("dlq_detail", rejection.detail.encode()),
                ("dlq_consumer", self.name.encode()),
                ("dlq_topic", record.topic.encode()),
                ("dlq_partition", str(record.partition).encode()),
                ("dlq_offset", str(record.offset).encode()),
            ),
        )


def _conflict_key(message: Message[EventData]) -> tuple[str, str]:
    """The inbox key of a conflicting duplicate's dead letter: the (source, id) it reused and
    its own content, so that each conflicting content is dead-lettered (and told of) once,
    however often it is delivered, in one batch or in several."""
    envelope = message.envelope
    return (f"conflict:{envelope.source}", f"{envelope.id}:{envelope.fingerprint}")


def _winner(key: tuple[str, str], copies: _Copies, claim: Claim) -> str:
    """The fingerprint of the copy that counts: the one recorded earlier, else the batch's
    first (also for a row recorded before fingerprints were kept)."""
    first = copies.first[1].envelope.fingerprint
    if key in claim.fresh:
        return first
    return claim.recorded.get(key) or first


def _batch_entries(
    consumer: str,
    records: Sequence[ConsumedRecord],
    applied: Sequence[tuple[ConsumedRecord, Message[EventData]]],
    refused: Sequence[tuple[ConsumedRecord, Rejection]],
) -> list[BatchEntry]:
    """A row per partition of the batch where a record was applied or dead-lettered: its
    offset range (every record read), the counts, the applied by type, and who wrote them
    (the events' source; for a partition with none applied, its topic)."""
    ranges: dict[tuple[str, int], list[int]] = {}
    for record in records:
        ranges.setdefault((record.topic, record.partition), []).append(record.offset)
    types: dict[tuple[str, int], dict[str, int]] = {}
    sources: dict[tuple[str, int], set[str]] = {}
    for record, message in applied:
        at = (record.topic, record.partition)
        by_type = types.setdefault(at, {})
        by_type[message.envelope.type] = by_type.get(message.envelope.type, 0) + 1
        sources.setdefault(at, set()).add(message.envelope.source)
    dead: dict[tuple[str, int], int] = {}
    for record, _ in refused:
        at = (record.topic, record.partition)
        dead[at] = dead.get(at, 0) + 1
    entries = []
    for (topic, partition), offsets in ranges.items():
        at = (topic, partition)
        by_type = types.get(at, {})
        if not by_type and at not in dead:
            continue
        entries.append(
            BatchEntry(
                consumer=consumer,
                actor=",".join(sorted(sources.get(at, ()))) or f"topic:{topic}",
                topic=topic,
                partition=partition,
                first_offset=min(offsets),
                last_offset=max(offsets),
                records=len(offsets),
                applied=sum(by_type.values()),
                dead_lettered=dead.get(at, 0),
                by_type=dict(sorted(by_type.items())),
            )
        )
    return entries


def _dead_letter_entries(refused: Sequence[tuple[ConsumedRecord, Rejection]]) -> list[AuditEntry]:
    """A row per dead letter: for a record too broken to say who wrote it, its topic; what,
    `record`; where in the log it is; and why."""
    return [
        AuditEntry(
            f"topic:{r.topic}", "record", _place(r), _place(r), f"dead-lettered: {why.reason}"
        )
        for r, why in refused
    ]


def _place(record: ConsumedRecord) -> str:
    return f"{record.topic}:{record.partition}@{record.offset}"
