"""Assessment's tables. Facts are sets: a fact stored twice is stored once; a loan or a
reversal reported twice with different content is stored once, by the rule of
`storage/facts.py`, whatever the order of arrival.

Loans, reversals, pairings and fairs are facts of no campaign. Listing changes, assignments
and ledgers name the campaign they are of; everything derived (outcomes, counts, published
figures, escalations, checkpoints, forecasts, notices) is kept per campaign (`campaign_id`)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Text,
    func,
    text,
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

listing_changes = Table(
    "listing_changes",
    metadata,
    Column("uscc", Text, primary_key=True),
    Column("on", Date, primary_key=True),
    Column("listed", Boolean, primary_key=True),
    Column("county_code", Text, primary_key=True),
    Column("campaign_id", Text, primary_key=True),
)

assignments = Table(
    "assignments",
    metadata,
    Column("uscc", Text, primary_key=True),
    Column("institution_id", Text, primary_key=True),
    Column("assigned_on", Date, primary_key=True),
    Column("campaign_id", Text, primary_key=True),
)

pairings = Table(
    "pairings",
    metadata,
    Column("uscc", Text, primary_key=True),
    Column("institution_id", Text, primary_key=True),
    Column("matched_on", Date, primary_key=True),
)

loans = Table(
    "loans",
    metadata,
    Column("institution_id", Text, primary_key=True),
    Column("loan_id", Text, primary_key=True),
    Column("uscc", Text, nullable=False, index=True),
    Column("issued_on", Date, nullable=False),
    Column("first_loan_attested", Boolean, nullable=False),
    Column("amount_wan", Numeric(14, 2), nullable=False),
    Column("applied_on", Date),
    Column("guarantee", Text),
    Column("annual_rate_pct", Numeric(6, 3)),
)

reversals = Table(
    "reversals",
    metadata,
    Column("institution_id", Text, primary_key=True),
    Column("loan_id", Text, primary_key=True),
    Column("reversed_on", Date, nullable=False),
    Column("reason", Text, nullable=False),
)

fairs = Table(
    "fairs",
    metadata,
    Column("fair_id", Text, primary_key=True),
    Column("county_code", Text, nullable=False),
    Column("held_on", Date, nullable=False),
)

overdue_ledgers = Table(
    "overdue_ledgers",
    metadata,
    Column("campaign_id", Text, primary_key=True),
    Column("unit_id", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("due_at", DateTime(timezone=True), nullable=False),
)

submitted_ledgers = Table(
    "submitted_ledgers",
    metadata,
    Column("campaign_id", Text, primary_key=True),
    Column("unit_id", Text, primary_key=True),
    Column("period", Text, primary_key=True),
)

# Every enterprise ever evaluated, once: the row a re-evaluation of it locks, whatever
# campaigns it has a part in.
evaluated_enterprises = Table(
    "evaluated_enterprises",
    metadata,
    Column("uscc", Text, primary_key=True),
)

# Each enterprise's outcome in each campaign it has a part in, as of `evaluated_on`:
# re-evaluated only when a fact about it arrives (or the day changes), so that live figures
# need no recount of every enterprise.
enterprise_outcomes = Table(
    "enterprise_outcomes",
    metadata,
    Column("campaign_id", Text, primary_key=True),
    Column("uscc", Text, primary_key=True, index=True),
    Column("evaluated_on", Date, nullable=False),
    Column("county_code", Text),
    Column("institutions", ARRAY(Text), nullable=False),
    Column("first_loan", JSONB),
    Column("anomalies", JSONB, nullable=False),
    # Few enterprises have anomalies; the live findings read only theirs.
    Index(
        "ix_enterprise_outcomes_with_anomalies",
        "uscc",
        postgresql_where=text("anomalies <> '[]'::jsonb"),
    ),
)

# Each unit's counts, the sum of what every enterprise's stored outcome adds to them
# (`domain/counts.py`): kept up to date by the changes of the enterprises each batch touched.
unit_counts = Table(
    "unit_counts",
    metadata,
    Column("campaign_id", Text, primary_key=True),
    Column("measure", Text, primary_key=True),
    Column("level", Text, primary_key=True),
    Column("unit_id", Text, primary_key=True),
    Column("total", BigInteger, nullable=False),
)

# What was last published on assessment.attainment per unit, to publish only changes.
published_figures = Table(
    "published_figures",
    metadata,
    Column("campaign_id", Text, primary_key=True),
    Column("unit_id", Text, primary_key=True),
    Column("figures", JSONB, nullable=False),
)

escalations = Table(
    "escalations",
    metadata,
    Column("escalation_id", Text, primary_key=True),
    Column("campaign_id", Text, nullable=False, index=True),
    Column("unit_id", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("resolved_at", DateTime(timezone=True)),
    Column("as_of", Date, nullable=False),
    Column("figures", JSONB, nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("history", JSONB, nullable=False),
    # One open escalation per (campaign, unit, reason).
    Index(
        "uq_escalations_open_campaign_unit_reason",
        "campaign_id",
        "unit_id",
        "reason",
        unique=True,
        postgresql_where=text("status = 'open'"),
    ),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("campaign_id", Text, primary_key=True),
    Column("as_of", Date, primary_key=True),
    Column("run_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("under_target", JSONB, nullable=False),
    Column("ranking", JSONB, nullable=False),
)

# The day each campaign's stored outcomes were last all brought up to (the service's today
# then); a campaign without a row (one just added) is counted at the next tick.
evaluation_days = Table(
    "evaluation_days",
    metadata,
    Column("campaign_id", Text, primary_key=True),
    Column("evaluated_on", Date, nullable=False),
)

# Data quality: a bank's records that reused the (source, id) of another of its events with
# other content (dead-lettered as conflicting_duplicate); one row per distinct content, with
# the earliest log position it was read from.
conflicting_duplicates = Table(
    "conflicting_duplicates",
    metadata,
    Column("source", Text, primary_key=True),
    Column("event_id", Text, primary_key=True),
    Column("fingerprint", Text, primary_key=True),
    Column("institution_id", Text, nullable=False, index=True),
    Column("event_type", Text, nullable=False),
    Column("topic", Text),
    Column("partition", Integer),
    Column("offset", BigInteger),
)

# Data quality: loans reported in more than one version (different LoanIssued for one
# institution and loan id); `loans` keeps the one that counts.
conflicting_loans = Table(
    "conflicting_loans",
    metadata,
    Column("institution_id", Text, primary_key=True),
    Column("loan_id", Text, primary_key=True),
)

# Notices of escalations (domain/notices.py): who wants to hear of which escalations, and
# by which delivery; what is muted when; each notice with its delivery's state, and each
# (escalation, step, subscription) once (notice_steps' key), whatever runs the ladder.
notice_subscriptions = Table(
    "notice_subscriptions",
    metadata,
    Column("subscription_id", Text, primary_key=True),
    # The campaign whose escalations it hears of (None: every campaign's).
    Column("campaign_id", Text, index=True),
    Column("subscriber", Text, nullable=False),
    Column("county_code", Text, index=True),
    Column("channel", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("webhook_format", Text, nullable=False),
    Column("min_severity", Text, nullable=False),
    Column("unit_id", Text),
    Column("level", Text),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
)

notice_silences = Table(
    "notice_silences",
    metadata,
    Column("silence_id", Text, primary_key=True),
    # The campaign whose escalations it mutes (None: every campaign's).
    Column("campaign_id", Text),
    Column("created_by", Text, nullable=False),
    Column("county_code", Text, index=True),
    Column("unit_id", Text),
    Column("reason", Text),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False, index=True),
    Column("why", Text, nullable=False),
)

notice_deliveries = Table(
    "notice_deliveries",
    metadata,
    Column("delivery_id", Text, primary_key=True),
    Column("subscription_id", Text, nullable=False, index=True),
    Column("status", Text, nullable=False),
    Column("steps", JSONB, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    # What the delivery loop looks for: pending rows whose time has come.
    Index(
        "ix_notice_deliveries_due",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
    ),
)

notice_steps = Table(
    "notice_steps",
    metadata,
    Column("escalation_id", Text, primary_key=True),
    Column("step", Text, primary_key=True),
    Column("subscription_id", Text, primary_key=True),
    Column("delivery_id", Text, nullable=False, index=True),
)

# Each campaign's units' funnels on `computed_on` (the daily tick's day): the forecast's
# inputs, so that nothing recounts the enterprises per request.
forecast_funnels = Table(
    "forecast_funnels",
    metadata,
    Column("campaign_id", Text, primary_key=True),
    Column("computed_on", Date, nullable=False),
    Column("funnels", JSONB, nullable=False),
)

# Follow-through: what supervisors did about each escalation.
escalation_acknowledgements = Table(
    "escalation_acknowledgements",
    metadata,
    Column("escalation_id", Text, primary_key=True),
    Column("acknowledged_by", Text, nullable=False),
    Column("acknowledged_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
)

talks = Table(
    "talks",
    metadata,
    Column("talk_id", Text, primary_key=True),
    Column("escalation_id", Text, nullable=False, index=True),
    Column("scheduled_on", Date, nullable=False),
    Column("attendees", JSONB, nullable=False),
    Column("minutes", Text),
    Column("minutes_document", JSONB),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

rectifications = Table(
    "rectifications",
    metadata,
    Column("rectification_id", Text, primary_key=True),
    Column("escalation_id", Text, nullable=False, index=True),
    Column("talk_id", Text, nullable=False),
    Column("unit_id", Text, nullable=False),
    Column("commitment", Text, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("closed_by", Text),
    Column("closed_at", DateTime(timezone=True)),
    Column("closing_note", Text),
    # Set once, when the follow-up of a rectification past its due date was raised.
    Column("followed_up_at", DateTime(timezone=True)),
)

circulars = Table(
    "circulars",
    metadata,
    Column("escalation_id", Text, primary_key=True),
    Column("document", JSONB, nullable=False),
    Column("issued_by", Text, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
)

escalation_documents = Table(
    "escalation_documents",
    metadata,
    Column("document_id", Text, primary_key=True),
    Column("escalation_id", Text, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("media_type", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", Text, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
)
