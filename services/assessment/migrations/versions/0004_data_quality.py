"""data quality: conflicting duplicates and loans reported in more than one version

Stored outcomes written before now lack the loans' application date, guarantee and rate:
forgetting the evaluation day makes the next tick re-evaluate every enterprise.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conflicting_duplicates",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("partition", sa.Integer(), nullable=True),
        sa.Column("offset", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source", "event_id", "fingerprint", name=op.f("pk_conflicting_duplicates")
        ),
    )
    op.create_index(
        op.f("ix_conflicting_duplicates_institution_id"),
        "conflicting_duplicates",
        ["institution_id"],
        unique=False,
    )
    op.create_table(
        "conflicting_loans",
        sa.Column("institution_id", sa.Text(), nullable=False),
        sa.Column("loan_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("institution_id", "loan_id", name=op.f("pk_conflicting_loans")),
    )
    op.execute("DELETE FROM evaluation_days")


def downgrade() -> None:
    op.drop_table("conflicting_loans")
    op.drop_index(
        op.f("ix_conflicting_duplicates_institution_id"), table_name="conflicting_duplicates"
    )
    op.drop_table("conflicting_duplicates")
