"""filings per campaign: submissions, notices, special reports and publicity activities name
their campaign

Everything filed before campaigns had ids belongs to xinzhou-2020, the platform's first; the
keys of submissions and notices widen to include the campaign (an institution keeps a ledger
per campaign and month). The facts (pairings, credits, loans, listings) belong to no campaign.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_CAMPAIGN = "xinzhou-2020"
TABLES = ("submissions", "notices", "special_reports", "publicity_activities")
KEYS = {
    "submissions": ("unit_id", "period", "version"),
    "notices": ("kind", "unit_id", "period"),
}
# table: (its index before, its index by campaign, the columns after the campaign)
INDEXES = {
    "special_reports": (
        "ix_special_reports_unit_period",
        "ix_special_reports_campaign_unit_period",
        ("unit_id", "period"),
    ),
    "publicity_activities": (
        "ix_publicity_activities_county_period",
        "ix_publicity_activities_campaign_county_period",
        ("county_code", "period"),
    ),
}


def upgrade() -> None:
    for table in TABLES:
        # The default fills the rows there are, then goes: every new row names its campaign.
        op.add_column(
            table,
            sa.Column("campaign_id", sa.Text(), server_default=FIRST_CAMPAIGN, nullable=False),
        )
        op.alter_column(table, "campaign_id", server_default=None)
    for table, key in KEYS.items():
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, ["campaign_id", *key])
    for table, (before, by_campaign, columns) in INDEXES.items():
        op.drop_index(before, table_name=table)
        op.create_index(by_campaign, table, ["campaign_id", *columns], unique=False)


def downgrade() -> None:
    # Only the first campaign's filings fit the keys of before.
    for table in TABLES:
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE campaign_id <> :first").bindparams(
                first=FIRST_CAMPAIGN
            )
        )
    for table, (before, by_campaign, columns) in INDEXES.items():
        op.drop_index(by_campaign, table_name=table)
        op.create_index(before, table, list(columns), unique=False)
    for table, key in KEYS.items():
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, list(key))
    for table in TABLES:
        op.drop_column(table, "campaign_id")
