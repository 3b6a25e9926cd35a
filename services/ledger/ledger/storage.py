"""Ledger's tables."""

from __future__ import annotations

from shared.db import new_metadata
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = new_metadata()
outbox_table(metadata)
inbox_table(metadata)
