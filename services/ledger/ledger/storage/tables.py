"""Ledger's tables. Facts are stored as events state them; rows are derived when read."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from shared.audit import audit_table
from shared.db import new_metadata
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = new_metadata()
outbox_table(metadata)
inbox_table(metadata)
audit_table(metadata)

Amount = Numeric(14, 2)

pairings = Table(
    "pairings",
    metadata,
    Column("match_id", Text, primary_key=True),
    Column("uscc", Text, nullable=False),
    Column("institution_id", Text, nullable=False),
    Column("matched_on", Date, nullable=False),
    Column("channel", Text, nullable=False),
    Column("county_code", Text),
    Column("enterprise_name", Text),
    Index("ix_pairings_pair", "uscc", "institution_id"),
    Index("ix_pairings_matched_on", "matched_on"),
)

enterprises = Table(
    "enterprises",
    metadata,
    Column("uscc", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("county_code", Text, nullable=False),
    Column("listed_on", Date, nullable=False),
)

credit_decisions = Table(
    "credit_decisions",
    metadata,
    Column("institution_id", Text, primary_key=True),
    # credit_id of a grant; the event id of a decline (declines carry no id of their own)
    Column("decision_id", Text, primary_key=True),
    Column("uscc", Text, nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("enterprise_name", Text, nullable=False),
    Column("amount_wan", Amount, nullable=False, server_default="0"),
    Column("guarantee", Text),
    Column("guarantor", Text),
    Column("problems", ARRAY(Text), nullable=False, server_default="{}"),
    Column("note", Text),
    Index("ix_credit_decisions_pair", "uscc", "institution_id"),
)

loans = Table(
    "loans",
    metadata,
    Column("institution_id", Text, primary_key=True),
    Column("loan_id", Text, primary_key=True),
    Column("uscc", Text, nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("amount_wan", Amount, nullable=False),
    Column("enterprise_name", Text, nullable=False),
    Index("ix_loans_pair", "uscc", "institution_id"),
)

# A reversal may arrive before its loan: kept on its own, joined when read.
loan_reversals = Table(
    "loan_reversals",
    metadata,
    Column("institution_id", Text, primary_key=True),
    Column("loan_id", Text, primary_key=True),
    Column("reversed_on", Date, nullable=False),
    Column("reason", Text, nullable=False),
)

# Filings are a campaign's: one unit (an institution in several cities) keeps a ledger per
# campaign and month.
submissions = Table(
    "submissions",
    metadata,
    Column("campaign_id", Text, primary_key=True),
    Column("unit_id", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("late", Boolean, nullable=False),
    Column("reason", Text),
    Column("row_count", Integer, nullable=False),
    Column("credit_amount_wan", Amount, nullable=False),
    Column("loan_amount_wan", Amount, nullable=False),
    Column("snapshot", JSONB, nullable=False),
)

# One row per notice given: the primary key makes "exactly once" hold across restarts and
# replicas, and the row is written in the transaction that puts the event in the outbox.
notices = Table(
    "notices",
    metadata,
    Column("campaign_id", Text, primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("unit_id", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("given_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

special_reports = Table(
    "special_reports",
    metadata,
    Column("report_id", Text, primary_key=True),
    Column("campaign_id", Text, nullable=False),
    Column("unit_id", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Index("ix_special_reports_campaign_unit_period", "campaign_id", "unit_id", "period"),
)

publicity_activities = Table(
    "publicity_activities",
    metadata,
    Column("activity_id", Text, primary_key=True),
    Column("campaign_id", Text, nullable=False),
    Column("county_code", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("held_on", Date, nullable=False),
    Column("kind", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("participants", Integer, nullable=False),
    Column("enterprises", Integer, nullable=False, server_default="0"),
    Column("institution_ids", ARRAY(Text), nullable=False, server_default="{}"),
    Column("organizer", Text),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_publicity_activities_campaign_county_period", "campaign_id", "county_code", "period"),
)
