"""Matchmaking's tables (SQLAlchemy Core); the repositories over them are beside this module."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    func,
)

from shared.audit import audit_table
from shared.db import new_metadata
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = new_metadata()
outbox_table(metadata)
inbox_table(metadata)
audit_table(metadata)


def _created() -> Column[Any]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


fairs = Table(
    "fairs",
    metadata,
    Column("fair_id", Text, primary_key=True),
    Column("county_code", Text, nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("held_on", Date, nullable=False),
    Column("venue", Text),
    Column("organizer", Text),
    _created(),
)
attendance = Table(
    "attendance",
    metadata,
    Column("fair_id", Text, ForeignKey("fairs.fair_id"), primary_key=True),
    Column("kind", Text, primary_key=True),  # enterprise | institution
    Column("attendee", Text, primary_key=True),  # USCC or institution id
    Column("listed", Boolean),
    _created(),
)
# What roster said: listing and delisting dates, kept as facts (any arrival order), each of
# the campaign whose list it is (the event's, else the county's on that day; None: a county
# no campaign has).
listings = Table(
    "listings",
    metadata,
    Column("uscc", Text, primary_key=True),
    Column("listed_on", Date, primary_key=True),
    Column("name", Text, nullable=False),
    Column("county_code", Text, nullable=False),
    Column("campaign_id", Text),
)
delistings = Table(
    "delistings",
    metadata,
    Column("uscc", Text, primary_key=True),
    Column("delisted_on", Date, primary_key=True),
    Column("campaign_id", Text),
)
products = Table(
    "products",
    metadata,
    Column("product_id", Text, primary_key=True),
    Column("institution_id", Text, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("min_amount_wan", Numeric(12, 2), nullable=False),
    Column("max_amount_wan", Numeric(12, 2), nullable=False),
    Column("min_rate_pct", Numeric(6, 3), nullable=False),
    Column("max_rate_pct", Numeric(6, 3), nullable=False),
    Column("guarantees", ARRAY(Text), nullable=False),
    Column("max_term_months", Integer, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    _created(),
)
matches = Table(
    "matches",
    metadata,
    Column("match_id", Text, primary_key=True),
    Column("uscc", Text, nullable=False),
    Column("institution_id", Text, nullable=False),
    Column("matched_on", Date, nullable=False),
    Column("channel", Text, nullable=False),
    Column("fair_id", Text, ForeignKey("fairs.fair_id")),
    Column("product_id", Text, ForeignKey("products.product_id")),
    Column("listed", Boolean),
    Column("county_code", Text),
    Column("enterprise_name", Text),
    _created(),
    Index("ix_matches_pair", "uscc", "institution_id"),
)
plans = Table(
    "plans",
    metadata,
    Column("uscc", Text, primary_key=True),
    Column("plan_id", Text, nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    Column("institution_id", Text, nullable=False),
    Column("responsible_person", Text, nullable=False),
    Column("problems", ARRAY(Text), nullable=False),
    Column("measures", ARRAY(Text), nullable=False),
    Column("follow_up_dates", ARRAY(Date), nullable=False),
    _created(),
)
visits = Table(
    "visits",
    metadata,
    Column("visit_id", Text, primary_key=True),
    Column("uscc", Text, nullable=False, index=True),
    Column("institution_id", Text, nullable=False),
    Column("visited_on", Date, nullable=False),
    Column("visitor", Text, nullable=False),
    Column("notes", Text, nullable=False),
    _created(),
)
# Every credit, decline and loan a bank reported, paired or not: a pairing recorded later
# still finds the outcomes that came before it.
bank_outcomes = Table(
    "bank_outcomes",
    metadata,
    Column("institution_id", Text, primary_key=True),
    Column("outcome", Text, primary_key=True),
    Column("ref", Text, primary_key=True),
    Column("uscc", Text, nullable=False),
    Column("on", Date, nullable=False),
    Column("applied_on", Date),
    Column("amount_wan", Numeric(14, 2)),
    Index("ix_bank_outcomes_pair", "uscc", "institution_id"),
)
# Each bank outcome is credited to one pairing: the pair's latest pairing on or before its
# date, among every pairing known (a later-dated one that becomes known takes it over). Its
# timing is computed when read, from the copy of the outcome kept in `bank_outcomes`.
match_outcomes = Table(
    "match_outcomes",
    metadata,
    Column("institution_id", Text, primary_key=True),
    Column("outcome", Text, primary_key=True),
    Column("ref", Text, primary_key=True),
    Column("match_id", Text, ForeignKey("matches.match_id"), nullable=False, index=True),
)
# A bank's reversals (冲正) of its loans, one per loan: the earliest. A reversal may arrive
# before the loan it withdraws.
loan_reversals = Table(
    "loan_reversals",
    metadata,
    Column("institution_id", Text, primary_key=True),
    Column("loan_id", Text, primary_key=True),
    Column("reversed_on", Date, nullable=False),
    Column("reason", Text, nullable=False),
)
