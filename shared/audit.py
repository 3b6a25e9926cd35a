"""The audit trail: who did what, when, and from where, for every write a service accepts.

An HTTP command is recorded in the transaction of its effect (so there is no effect without
its record, nor a record of an effect that was rolled back), with the outcome `committed`; a
write answered with an error (401 and 403 at the door, a 404 miss, a 409 or 422 refusal, a
500) is recorded on its own with that status, so the outcome is what happened.

Bank records are audited by the consumer that reads them, in the batch's transaction, per
batch: the Kafka log keeps every record and the inbox its (source, id) with its (topic,
partition, offset), so `audit_batches` takes one row per batch and partition (the offset
range, how many records were applied and dead-lettered, the applied ones by type), and
`audit` one row per dead letter (its reason and place). What happened to one record is the
inbox's row for it joined with the batch row whose range covers its offset
(`AuditTrail.about_record`). Until platform_0004 a row of `audit` was written per applied
record; those rows stay and are read the same way.

Both tables take inserts only: migrations install a trigger that refuses UPDATE and DELETE,
and the API has no route that writes them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import insert_rows

# The audit table as the platform's migration creates it (shared/schema). Frozen: a later
# change is a new list (AUDIT_SCHEMA_V2) in a new migration, never an edit of this one.
AUDIT_SCHEMA_V1 = (
    """
    CREATE TABLE audit (
      id BIGSERIAL CONSTRAINT pk_audit PRIMARY KEY,
      at TIMESTAMPTZ NOT NULL DEFAULT now(),
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      origin TEXT NOT NULL,
      outcome TEXT NOT NULL
    )
    """,
    "CREATE INDEX ix_audit_actor_at ON audit (actor, at)",
    "CREATE INDEX ix_audit_at ON audit (at)",
)
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_is_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only';
END
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
FOR EACH STATEMENT EXECUTE FUNCTION audit_is_append_only()
"""
AUDIT_UPGRADE_V1 = (*AUDIT_SCHEMA_V1, APPEND_ONLY_FUNCTION, APPEND_ONLY_TRIGGER)
AUDIT_DOWNGRADE_V1 = ("DROP TABLE audit", "DROP FUNCTION audit_is_append_only()")

# The bank records' trail per batch and partition, beside `audit` (platform_0004). Frozen as
# V1 is. Structured columns rather than a sentence in `audit.outcome`: the record lookup
# finds the batch covering an offset by an index on (topic, partition, first_offset), and
# the counts add up in SQL (a supervisor's "how many did bank X send this month").
AUDIT_SCHEMA_V2 = (
    """
    CREATE TABLE audit_batches (
      id BIGSERIAL CONSTRAINT pk_audit_batches PRIMARY KEY,
      at TIMESTAMPTZ NOT NULL DEFAULT now(),
      consumer TEXT NOT NULL,
      actor TEXT NOT NULL,
      topic TEXT NOT NULL,
      partition INTEGER NOT NULL,
      first_offset BIGINT NOT NULL,
      last_offset BIGINT NOT NULL,
      records INTEGER NOT NULL,
      applied INTEGER NOT NULL,
      dead_lettered INTEGER NOT NULL,
      by_type JSONB NOT NULL
    )
    """,
    "CREATE INDEX ix_audit_batches_place ON audit_batches (topic, partition, first_offset)",
    "CREATE INDEX ix_audit_batches_at ON audit_batches (at)",
    """
    CREATE TRIGGER audit_batches_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON audit_batches FOR EACH STATEMENT EXECUTE FUNCTION audit_is_append_only()
    """,
)
AUDIT_DOWNGRADE_V2 = ("DROP TABLE audit_batches",)
BATCH_ACTION = "bank batch"


def audit_table(metadata: MetaData) -> Table:
    """`audit`, and beside it in the same metadata `audit_batches`: the audit trail's tables."""
    audit_batches_table(metadata)
    return Table(
        "audit",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("actor", Text, nullable=False),
        Column("action", Text, nullable=False),
        Column("target", Text, nullable=False),
        Column("origin", Text, nullable=False),
        Column("outcome", Text, nullable=False),
        Index("ix_audit_actor_at", "actor", "at"),
        Index("ix_audit_at", "at"),
    )


def audit_batches_table(metadata: MetaData) -> Table:
    if "audit_batches" in metadata.tables:
        return metadata.tables["audit_batches"]
    return Table(
        "audit_batches",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("consumer", Text, nullable=False),
        Column("actor", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("partition", Integer, nullable=False),
        Column("first_offset", BigInteger, nullable=False),
        Column("last_offset", BigInteger, nullable=False),
        Column("records", Integer, nullable=False),
        Column("applied", Integer, nullable=False),
        Column("dead_lettered", Integer, nullable=False),
        Column("by_type", JSONB, nullable=False),
        Index("ix_audit_batches_place", "topic", "partition", "first_offset"),
        Index("ix_audit_batches_at", "at"),
    )


@dataclass(frozen=True)
class BatchEntry:
    """What one batch did with one partition of a bank topic."""

    consumer: str  # the consumer's name: `roster.bank`
    actor: str  # the source of the events applied (one bank's topic), else `topic:<topic>`
    topic: str
    partition: int
    first_offset: int
    last_offset: int
    records: int  # read in the range (also those redelivered, or of a type not taken)
    applied: int
    dead_lettered: int
    by_type: Mapping[str, int] = field(default_factory=dict)  # applied, per event type

    @property
    def origin(self) -> str:
        return f"{self.topic}:{self.partition}@{self.first_offset}-{self.last_offset}"

    @property
    def outcome(self) -> str:
        types = ", ".join(f"{t.removeprefix('cn.firstloan.')} {n}" for t, n in self.by_type.items())
        counts = f"applied {self.applied}, dead-lettered {self.dead_lettered}"
        return f"{counts} ({types})" if types else counts


@dataclass(frozen=True)
class AuditEntry:
    actor: str  # a token's subject, or a bank's event source
    action: str  # `POST /enterprises/{uscc}/delist`, or an event type
    target: str  # the request's path, or the event's id
    origin: str  # the client's address, or topic:partition@offset
    outcome: str  # the HTTP status, or `applied`


@dataclass
class RequestContext:
    """What the HTTP layer knows of the request a unit of work serves; `committed` once a
    transaction serving it has committed (with its audit record)."""

    actor: str
    action: str
    target: str
    origin: str
    committed: bool = False


# Set by the HTTP layer for the request being served; read by `Runtime.transaction`.
CURRENT_REQUEST: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "current_request", default=None
)


class AuditTrail:
    def __init__(self, table: Table, batches: Table | None = None) -> None:
        self.table = table
        self.batches = (
            batches if batches is not None else table.metadata.tables.get("audit_batches")
        )

    async def record(self, connection: AsyncConnection, entries: Sequence[AuditEntry]) -> None:
        if entries:
            await insert_rows(
                connection,
                self.table,
                [
                    {
                        "actor": e.actor,
                        "action": e.action,
                        "target": e.target,
                        "origin": e.origin,
                        "outcome": e.outcome,
                    }
                    for e in entries
                ],
            )

    async def record_batches(
        self,
        connection: AsyncConnection,
        batches: Sequence[BatchEntry],
        dead_letters: Sequence[AuditEntry] = (),
    ) -> None:
        """A consumed batch's trail: a row per partition, a row per dead letter (one
        statement each, the second only when there are dead letters)."""
        if batches and self.batches is not None:
            await insert_rows(
                connection,
                self.batches,
                [
                    {
                        "consumer": b.consumer,
                        "actor": b.actor,
                        "topic": b.topic,
                        "partition": b.partition,
                        "first_offset": b.first_offset,
                        "last_offset": b.last_offset,
                        "records": b.records,
                        "applied": b.applied,
                        "dead_lettered": b.dead_lettered,
                        "by_type": dict(b.by_type),
                    }
                    for b in batches
                ],
            )
        await self.record(connection, dead_letters)

    async def query(
        self,
        connection: AsyncConnection,
        *,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[dict[str, object]]:
        """The trail oldest first: `audit`'s rows (HTTP writes, dead letters, and the bank
        records of before platform_0004) and the batch rows, each batch as one entry
        (action `bank batch`, target its topic, origin `topic:partition@first-last`, outcome
        its counts) with its counts also as fields of their own."""
        t = self.table
        rows = select(
            t.c.at,
            literal(0).label("kind"),
            t.c.id,
            t.c.actor,
            t.c.action,
            t.c.target,
            t.c.origin,
            t.c.outcome,
        )
        if actor is not None:
            rows = rows.where(t.c.actor == actor)
        if since is not None:
            rows = rows.where(t.c.at >= since)
        if self.batches is None:
            statement = rows.order_by(t.c.at, t.c.id).limit(limit)
            return [_entry(row) for row in await connection.execute(statement)]
        b = self.batches
        batches = select(
            b.c.at,
            literal(1).label("kind"),
            b.c.id,
            b.c.actor,
            literal(BATCH_ACTION).label("action"),
            b.c.topic.label("target"),
            literal("").label("origin"),
            literal("").label("outcome"),
        )
        if actor is not None:
            batches = batches.where(b.c.actor == actor)
        if since is not None:
            batches = batches.where(b.c.at >= since)
        both = union_all(rows, batches).subquery()
        statement = (
            select(both.c.kind, both.c.id).order_by(both.c.at, both.c.kind, both.c.id).limit(limit)
        )
        picked = [(row.kind, row.id) for row in await connection.execute(statement)]
        audit_ids = [i for kind, i in picked if kind == 0]
        batch_ids = [i for kind, i in picked if kind == 1]
        found: dict[tuple[int, int], dict[str, object]] = {}
        if audit_ids:
            for row in await connection.execute(select(t).where(t.c.id.in_(audit_ids))):
                found[(0, row.id)] = _entry(row)
        if batch_ids:
            for row in await connection.execute(select(b).where(b.c.id.in_(batch_ids))):
                found[(1, row.id)] = _batch_entry(row)
        return [found[key] for key in picked]

    async def applied_beyond_claims(self, connection: AsyncConnection, inbox: Table) -> int:
        """How many more bank records the batch rows say were applied than the inbox holds
        claims of (on the topics batch rows name): 0 unless a record was applied twice
        (`make chaos`'s double-counted, now that a record has no audit row of its own)."""
        b, i = self.batches, inbox
        if b is None:
            return 0
        topics = select(b.c.topic).distinct().scalar_subquery()
        applied = select(func.coalesce(func.sum(b.c.applied), 0)).scalar_subquery()
        claimed = (
            select(func.count())
            .select_from(i)
            .where(i.c.topic.in_(topics), i.c.event_type != "dead_letter")
            .scalar_subquery()
        )
        return int((await connection.execute(select(applied - claimed))).scalar_one())

    async def about_record(
        self,
        connection: AsyncConnection,
        inbox: Table,
        *,
        source: str | None = None,
        event_id: str | None = None,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> list[dict[str, object]]:
        """What happened to one bank record, asked by its (source, id) or by its place in the
        log: an entry per inbox row it left (the event applied; a conflicting copy of it
        dead-lettered), each with the batch row that covers its offset. A place that left no
        inbox row but lies in a batch's range was read and neither applied nor
        dead-lettered (a redelivery of an event already recorded, or a type this consumer
        does not take)."""
        i = inbox
        if source is not None and event_id is not None:
            where = or_(
                and_(i.c.source == source, i.c.event_id == event_id),
                and_(
                    i.c.source == f"conflict:{source}",
                    i.c.event_id.startswith(f"{event_id}:", autoescape=True),
                ),
            )
        elif topic is not None and partition is not None and offset is not None:
            where = and_(i.c.topic == topic, i.c.partition == partition, i.c.offset == offset)
        else:
            raise ValueError("ask by source and event_id, or by topic, partition and offset")
        claims = list(await connection.execute(select(i).where(where).order_by(i.c.processed_at)))
        answers: list[dict[str, object]] = []
        for claim in claims:
            answers.append(await self._about_claim(connection, claim))
        if not claims and topic is not None and partition is not None and offset is not None:
            batch = await self._covering(connection, topic, partition, offset, None)
            if batch is not None:
                answers.append(
                    {
                        "at": batch["at"],
                        "actor": batch["actor"],
                        "action": "record",
                        "target": None,
                        "origin": f"{topic}:{partition}@{offset}",
                        "outcome": "read: neither applied nor dead-lettered",
                        "batch": batch,
                    }
                )
        return answers

    async def _about_claim(self, connection: AsyncConnection, claim: Any) -> dict[str, object]:
        place = (
            f"{claim.topic}:{claim.partition}@{claim.offset}" if claim.topic is not None else None
        )
        dead = claim.event_type == "dead_letter"
        source: str = claim.source
        event_id: str = claim.event_id
        if source.startswith("conflict:"):  # a conflicting copy's claim: `id:fingerprint`
            source, event_id = source.removeprefix("conflict:"), event_id.rsplit(":", 1)[0]
        answer: dict[str, object] = {
            "at": claim.processed_at.isoformat(),
            "actor": source,
            "action": "record" if dead else claim.event_type,
            "target": event_id,
            "origin": place,
            "outcome": "dead-lettered" if dead else "applied",
            "batch": None,
        }
        t = self.table
        if place is None:
            # Recorded before platform_0004: the record's own row of `audit`, if any.
            row = (
                await connection.execute(
                    select(t)
                    .where(t.c.actor == claim.source, t.c.target == claim.event_id)
                    .order_by(t.c.id)
                    .limit(1)
                )
            ).first()
            if row is not None:
                answer.update(origin=row.origin, outcome=row.outcome)
            return answer
        if dead:
            row = (
                await connection.execute(
                    select(t.c.outcome)
                    .where(t.c.origin == place, t.c.outcome.startswith("dead-lettered"))
                    .order_by(t.c.id)
                    .limit(1)
                )
            ).first()
            if row is not None:
                answer["outcome"] = row.outcome
        answer["batch"] = await self._covering(
            connection, claim.topic, claim.partition, claim.offset, claim.processed_at
        )
        return answer

    async def _covering(
        self,
        connection: AsyncConnection,
        topic: str,
        partition: int,
        offset: int,
        at: datetime | None,
    ) -> dict[str, object] | None:
        """The batch row whose range covers the offset: the one written in the claim's own
        transaction (the same `now()`) where there is one, else the first."""
        b = self.batches
        if b is None:
            return None
        statement = select(b).where(
            b.c.topic == topic,
            b.c.partition == partition,
            b.c.first_offset <= offset,
            b.c.last_offset >= offset,
        )
        if at is not None:
            statement = statement.order_by((b.c.at == at).desc())
        row = (await connection.execute(statement.order_by(b.c.id).limit(1))).first()
        return None if row is None else _batch_entry(row)


def _entry(row: Any) -> dict[str, object]:
    return {
        "at": row.at.isoformat(),
        "actor": row.actor,
        "action": row.action,
        "target": row.target,
        "origin": row.origin,
        "outcome": row.outcome,
    }


def _batch_entry(row: Any) -> dict[str, object]:
    batch = BatchEntry(
        consumer=row.consumer,
        actor=row.actor,
        topic=row.topic,
        partition=row.partition,
        first_offset=row.first_offset,
        last_offset=row.last_offset,
        records=row.records,
        applied=row.applied,
        dead_lettered=row.dead_lettered,
        by_type=row.by_type,
    )
    return {
        "at": row.at.isoformat(),
        "actor": batch.actor,
        "action": BATCH_ACTION,
        "target": batch.topic,
        "origin": batch.origin,
        "outcome": batch.outcome,
        "batch_id": row.id,
        "consumer": batch.consumer,
        "partition": batch.partition,
        "first_offset": batch.first_offset,
        "last_offset": batch.last_offset,
        "records": batch.records,
        "applied": batch.applied,
        "dead_lettered": batch.dead_lettered,
        "by_type": dict(batch.by_type),
    }
