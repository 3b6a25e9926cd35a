"""Roster's tables, on the metadata that also holds the outbox and the inbox."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.audit import audit_table
from shared.db import new_metadata
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = new_metadata()
outbox_table(metadata)
inbox_table(metadata)
audit_table(metadata)

Money = Numeric(14, 2)


def _profile_columns() -> list[Column[object]]:
    return [
        Column("name", Text, nullable=False),
        Column("county_code", Text, nullable=False),
        Column("size_class", Text, nullable=False),
        Column("size_verified", Text),  # what the figures say; NULL: claim unverified
        Column("industry", Text),
        Column("employees", Integer),
        Column("revenue_wan", Money),
        Column("assets_wan", Money),
        Column("financing_need_wan", Money),
    ]


# The current profile of each enterprise ever admitted (一企一档).
enterprises = Table(
    "enterprises",
    metadata,
    Column("uscc", Text, primary_key=True),
    *_profile_columns(),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Every profile an enterprise had, in order: profile updates keep history.
profile_versions = Table(
    "profile_versions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("uscc", Text, nullable=False, index=True),
    Column("nomination_id", Text, nullable=False),
    Column("effective_on", Date, nullable=False),
    *_profile_columns(),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Every nomination received, accepted or not, with its input, its campaign (NULL for a
# rejection whose campaign could not be told) and its outcome.
nominations = Table(
    "nominations",
    metadata,
    Column("nomination_id", Text, primary_key=True),
    Column("uscc", Text, index=True),  # normalised; as given when it is not a valid code
    Column("status", Text, nullable=False),  # listed | merged | rejected
    Column("source", Text),
    Column("nominated_by", Text),
    Column("nominated_on", Date),
    Column("institution_id", Text),
    Column("late", Boolean),
    Column("channel", Text, nullable=False),  # api | batch | upload
    Column("input", JSONB, nullable=False),
    Column("reasons", JSONB),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("campaign_id", Text),
)

# Listing history per campaign: listed from listed_on up to the day before delisted_on.
listings = Table(
    "listings",
    metadata,
    Column("uscc", Text, nullable=False),
    Column("listed_on", Date, nullable=False),
    Column("county_code", Text, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("nomination_id", Text, nullable=False),
    Column("delisted_on", Date),
    Column("delist_reason", Text),
    Column("delist_note", Text),
    Column("delisted_at", DateTime(timezone=True)),
    Column("campaign_id", Text, nullable=False),
    PrimaryKeyConstraint("campaign_id", "uscc", "listed_on"),
    Index(
        "ix_listings_open_county",
        "campaign_id",
        "county_code",
        postgresql_where=text("delisted_on IS NULL"),
    ),
)

# One row per (campaign, enterprise, institution): the earliest day it was assigned in the
# campaign, and by which way.
assignments = Table(
    "assignments",
    metadata,
    Column("uscc", Text, nullable=False),
    Column("institution_id", Text, nullable=False),
    Column("way", Text, nullable=False),
    Column("assigned_on", Date, nullable=False),
    Column("announced", Boolean, nullable=False),  # EnterpriseAssigned emitted
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("campaign_id", Text, nullable=False),
    PrimaryKeyConstraint("campaign_id", "uscc", "institution_id"),
)

# Loans from the banks' events, whatever campaign they fall in (facts: the look-back of rule 1
# reads them all); a reversal may arrive first (then uscc is still NULL).
loans = Table(
    "loans",
    metadata,
    Column("institution_id", Text, primary_key=True),
    Column("loan_id", Text, primary_key=True),
    Column("uscc", Text, index=True),
    Column("enterprise_name", Text),
    Column("amount_wan", Money),
    Column("issued_on", Date),
    Column("first_loan_attested", Boolean),
    Column("reversed_on", Date),
    Column("reversal_reason", Text),
)

matches = Table(
    "matches",
    metadata,
    Column("match_id", Text, primary_key=True),
    Column("uscc", Text, nullable=False, index=True),
    Column("institution_id", Text, nullable=False),
    Column("matched_on", Date, nullable=False),
    Column("channel", Text, nullable=False),
    Column("fair_id", Text),
    Column("county_code", Text),  # matchmaking's, when it gave one
)

attendances = Table(
    "attendances",
    metadata,
    Column("fair_id", Text, primary_key=True),
    Column("uscc", Text, primary_key=True),
    Column("county_code", Text, nullable=False),
    Column("held_on", Date, nullable=False),
    Index("ix_attendances_uscc", "uscc"),
)

# Each campaign's published whitelists, numbered 1, 2, ... within the campaign.
whitelist_versions = Table(
    "whitelist_versions",
    metadata,
    Column("version", Integer, nullable=False, autoincrement=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("total", Integer, nullable=False),
    Column("by_county", JSONB, nullable=False),
    Column("by_institution", JSONB, nullable=False),
    Column("campaign_id", Text, nullable=False),
    PrimaryKeyConstraint("campaign_id", "version"),
)

whitelist_entries = Table(
    "whitelist_entries",
    metadata,
    Column("version", Integer, nullable=False),
    Column("uscc", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("county_code", Text, nullable=False),
    Column("size_class", Text, nullable=False),
    Column("listed_on", Date, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("institutions", ARRAY(Text), nullable=False),
    Column("campaign_id", Text, nullable=False),
    PrimaryKeyConstraint("campaign_id", "version", "uscc"),
)
