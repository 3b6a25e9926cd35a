"""notices of escalations: subscriptions, silences, deliveries and the steps each told of

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice_subscriptions",
        sa.Column("subscription_id", sa.Text(), nullable=False),
        sa.Column("subscriber", sa.Text(), nullable=False),
        sa.Column("county_code", sa.Text(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("webhook_format", sa.Text(), nullable=False),
        sa.Column("min_severity", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=True),
        sa.Column("level", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("subscription_id", name=op.f("pk_notice_subscriptions")),
    )
    op.create_index(
        op.f("ix_notice_subscriptions_county_code"), "notice_subscriptions", ["county_code"]
    )
    op.create_table(
        "notice_silences",
        sa.Column("silence_id", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("county_code", sa.Text(), nullable=True),
        sa.Column("unit_id", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("silence_id", name=op.f("pk_notice_silences")),
    )
    op.create_index(op.f("ix_notice_silences_county_code"), "notice_silences", ["county_code"])
    op.create_index(op.f("ix_notice_silences_ends_at"), "notice_silences", ["ends_at"])
    op.create_table(
        "notice_deliveries",
        sa.Column("delivery_id", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("steps", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_notice_deliveries")),
    )
    op.create_index(
        op.f("ix_notice_deliveries_subscription_id"), "notice_deliveries", ["subscription_id"]
    )
    op.create_index(
        "ix_notice_deliveries_due",
        "notice_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "notice_steps",
        sa.Column("escalation_id", sa.Text(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.Text(), nullable=False),
        sa.Column("delivery_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "escalation_id", "step", "subscription_id", name=op.f("pk_notice_steps")
        ),
    )
    op.create_index(op.f("ix_notice_steps_delivery_id"), "notice_steps", ["delivery_id"])


def downgrade() -> None:
    op.drop_table("notice_steps")
    op.drop_table("notice_deliveries")
    op.drop_table("notice_silences")
    op.drop_table("notice_subscriptions")
