"""The adapter's tables: besides the outbox, inbox and audit trail, one tally per instance of
what its messages became (the read view `/instances`)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Table, Text

from shared.audit import audit_table
from shared.db import new_metadata
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = new_metadata()
outbox_table(metadata)
inbox_table(metadata)
audit_table(metadata)

# outcome: `published` (a contract event, by its type) or `skipped` (a Fineract type).
tallies = Table(
    "tallies",
    metadata,
    Column("instance", Text, primary_key=True),
    Column("outcome", Text, primary_key=True),
    Column("event_type", Text, primary_key=True),
    Column("count", BigInteger, nullable=False),
)

instances = Table(
    "instances",
    metadata,
    Column("instance", Text, primary_key=True),
    Column("institution_id", Text, nullable=False),
    Column("messages", BigInteger, nullable=False),
    # The highest MessageV1 id translated: Fineract's order within the instance.
    Column("last_message_id", BigInteger, nullable=False),
    Column("last_created_at", DateTime(timezone=True), nullable=False),
)
