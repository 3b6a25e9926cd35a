"""The audit trail: who did what, when, and from where, for every write a service accepts.

An HTTP command is recorded in the transaction of its effect (so there is no effect without
its record, nor a record of an effect that was rolled back), with the outcome `committed`; a
write answered with an error (401 and 403 at the door, a 404 miss, a 409 or 422 refusal, a
500) is recorded on its own with that status, so the outcome is what happened; a bank event
is recorded by the consumer that applies it, in the batch's transaction. The table takes
inserts only: migrations install a trigger that refuses UPDATE and DELETE, and the API has no
route that writes it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, MetaData, Table, Text, func, select
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


def audit_table(metadata: MetaData) -> Table:
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
    def __init__(self, table: Table) -> None:
        self.table = table

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

    async def query(
        self,
        connection: AsyncConnection,
        *,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[dict[str, object]]:
        statement = select(self.table).order_by(self.table.c.id).limit(limit)
        if actor is not None:
            statement = statement.where(self.table.c.actor == actor)
        if since is not None:
            statement = statement.where(self.table.c.at >= since)
        rows = await connection.execute(statement)
        return [
            {
                "at": row.at.isoformat(),
                "actor": row.actor,
                "action": row.action,
                "target": row.target,
                "origin": row.origin,
                "outcome": row.outcome,
            }
            for row in rows
        ]
