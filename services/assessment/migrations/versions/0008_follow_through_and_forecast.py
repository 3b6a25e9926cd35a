"""follow-through of escalations (acknowledgements, talks, rectifications, circulars, their
documents) and the forecast's stored series

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = postgresql.JSONB(astext_type=sa.Text())
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "first_loan_series",
        sa.Column("singleton", sa.Integer(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("series", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("singleton", name=op.f("pk_first_loan_series")),
    )
    op.create_table(
        "escalation_acknowledgements",
        sa.Column("escalation_id", sa.Text(), nullable=False),
        sa.Column("acknowledged_by", sa.Text(), nullable=False),
        sa.Column("acknowledged_at", WHEN, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("escalation_id", name=op.f("pk_escalation_acknowledgements")),
    )
    op.create_table(
        "talks",
        sa.Column("talk_id", sa.Text(), nullable=False),
        sa.Column("escalation_id", sa.Text(), nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=False),
        sa.Column("attendees", JSONB, nullable=False),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("minutes_document", JSONB, nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("talk_id", name=op.f("pk_talks")),
    )
    op.create_index(op.f("ix_talks_escalation_id"), "talks", ["escalation_id"])
    op.create_table(
        "rectifications",
        sa.Column("rectification_id", sa.Text(), nullable=False),
        sa.Column("escalation_id", sa.Text(), nullable=False),
        sa.Column("talk_id", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=False),
        sa.Column("commitment", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("closed_by", sa.Text(), nullable=True),
        sa.Column("closed_at", WHEN, nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.Column("followed_up_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("rectification_id", name=op.f("pk_rectifications")),
    )
    op.create_index(op.f("ix_rectifications_escalation_id"), "rectifications", ["escalation_id"])
    op.create_table(
        "circulars",
        sa.Column("escalation_id", sa.Text(), nullable=False),
        sa.Column("document", JSONB, nullable=False),
        sa.Column("issued_by", sa.Text(), nullable=False),
        sa.Column("issued_at", WHEN, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("escalation_id", name=op.f("pk_circulars")),
    )
    op.create_table(
        "escalation_documents",
        sa.Column("document_id", sa.Text(), nullable=False),
        sa.Column("escalation_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("uploaded_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_escalation_documents")),
    )
    op.create_index(
        op.f("ix_escalation_documents_escalation_id"), "escalation_documents", ["escalation_id"]
    )


def downgrade() -> None:
    for table in (
        "escalation_documents",
        "circulars",
        "rectifications",
        "talks",
        "escalation_acknowledgements",
        "first_loan_series",
    ):
        op.drop_table(table)
