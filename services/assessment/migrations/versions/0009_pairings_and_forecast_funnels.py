"""pairings (EnterpriseMatched) as facts, and each unit's funnel in place of its series of
first-loan households as the forecast's stored input

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    op.create_table(
        "pairings",
        sa.Column("uscc", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.Text(), nullable=False),
        sa.Column("matched_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("uscc", "institution_id", "matched_on", name=op.f("pk_pairings")),
    )
    # The series is the old method's input; the next daily tick stores the funnels.
    op.drop_table("first_loan_series")
    op.create_table(
        "forecast_funnels",
        sa.Column("singleton", sa.Integer(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("funnels", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("singleton", name=op.f("pk_forecast_funnels")),
    )


def downgrade() -> None:
    op.drop_table("forecast_funnels")
    op.create_table(
        "first_loan_series",
        sa.Column("singleton", sa.Integer(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("series", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("singleton", name=op.f("pk_first_loan_series")),
    )
    op.drop_table("pairings")
