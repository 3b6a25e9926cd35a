"""loan_reversals: a bank's reversals of its loans; match_outcomes' timing computed when read

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
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
        "loan_reversals",
        sa.Column("institution_id", sa.Text(), nullable=False),
        sa.Column("loan_id", sa.Text(), nullable=False),
        sa.Column("reversed_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("institution_id", "loan_id", name=op.f("pk_loan_reversals")),
    )
    # The timing of an attributed outcome follows the copy of the outcome kept, which may
    # change when an earlier copy arrives: it is computed when read, no longer stored.
    op.drop_column("match_outcomes", "started_on")
    op.drop_column("match_outcomes", "working_days")
    op.drop_column("match_outcomes", "within_goal")


def downgrade() -> None:
    op.add_column("match_outcomes", sa.Column("within_goal", sa.Boolean()))
    op.add_column("match_outcomes", sa.Column("working_days", sa.Integer()))
    # Attributions made since have no stored timing; they were read with a computed one.
    op.add_column("match_outcomes", sa.Column("started_on", sa.Date()))
    op.drop_table("loan_reversals")
