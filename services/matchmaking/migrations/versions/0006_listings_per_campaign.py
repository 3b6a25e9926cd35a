"""listings per campaign: each listing and delisting names the campaign whose list it is

What roster said before campaigns had ids was said of xinzhou-2020's list, the platform's
first. Fairs, attendance, pairings and outcomes are facts and name no campaign.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_CAMPAIGN = "xinzhou-2020"
TABLES = ("listings", "delistings")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("campaign_id", sa.Text(), nullable=True))
        op.execute(
            sa.text(f"UPDATE {table} SET campaign_id = :first").bindparams(first=FIRST_CAMPAIGN)
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "campaign_id")
