"""assessment per campaign: listings, assignments and ledgers name their campaign; outcomes,
counts, published figures, escalations, checkpoints, evaluation days, forecasts and notices
are kept per campaign

Everything recorded before campaigns had ids belongs to xinzhou-2020, the platform's first;
the keys widen to include the campaign (an enterprise has an outcome in each campaign it has
a part in; a unit, figures and escalations in each campaign it takes part in). Loans,
reversals, pairings and fairs are facts of no campaign and keep their tables as they are.
Each enterprise evaluated so far gets its row in `evaluated_enterprises`, which a
re-evaluation locks whatever campaigns the enterprise has a part in.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_CAMPAIGN = "xinzhou-2020"

# table: its primary key's columns after the campaign's is added (where it goes in the key).
KEYS = {
    "listing_changes": ("uscc", "on", "listed", "county_code", "campaign_id"),
    "assignments": ("uscc", "institution_id", "assigned_on", "campaign_id"),
    "overdue_ledgers": ("campaign_id", "unit_id", "period"),
    "submitted_ledgers": ("campaign_id", "unit_id", "period"),
    "enterprise_outcomes": ("campaign_id", "uscc"),
    "unit_counts": ("campaign_id", "measure", "level", "unit_id"),
    "published_figures": ("campaign_id", "unit_id"),
    "checkpoints": ("campaign_id", "as_of"),
}
# Kept by a singleton row before: now one row per campaign.
SINGLETONS = ("evaluation_days", "forecast_funnels")
# Of one campaign, or (None) of every campaign.
NULLABLE = ("notice_subscriptions", "notice_silences")


def _add_campaign(table: str) -> None:
    # The default fills the rows there are, then goes: every new row names its campaign.
    op.add_column(
        table, sa.Column("campaign_id", sa.Text(), server_default=FIRST_CAMPAIGN, nullable=False)
    )
    op.alter_column(table, "campaign_id", server_default=None)


def upgrade() -> None:
    for table, key in KEYS.items():
        _add_campaign(table)
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, list(key))
    op.create_index("ix_enterprise_outcomes_uscc", "enterprise_outcomes", ["uscc"])

    op.create_table(
        "evaluated_enterprises",
        sa.Column("uscc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_evaluated_enterprises")),
    )
    op.execute(
        "INSERT INTO evaluated_enterprises (uscc) SELECT DISTINCT uscc FROM enterprise_outcomes"
    )

    _add_campaign("escalations")
    op.create_index("ix_escalations_campaign_id", "escalations", ["campaign_id"])
    op.drop_index("uq_escalations_open_unit_reason", table_name="escalations")
    op.create_index(
        "uq_escalations_open_campaign_unit_reason",
        "escalations",
        ["campaign_id", "unit_id", "reason"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )

    for table in SINGLETONS:
        _add_campaign(table)
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.drop_column(table, "singleton")
        op.create_primary_key(f"pk_{table}", table, ["campaign_id"])

    for table in NULLABLE:
        op.add_column(table, sa.Column("campaign_id", sa.Text(), nullable=True))
        op.execute(
            sa.text(f"UPDATE {table} SET campaign_id = :first").bindparams(first=FIRST_CAMPAIGN)
        )
    op.create_index("ix_notice_subscriptions_campaign_id", "notice_subscriptions", ["campaign_id"])


def downgrade() -> None:
    # Only the first campaign's rows fit the keys of before.
    op.drop_index("ix_notice_subscriptions_campaign_id", table_name="notice_subscriptions")
    for table in NULLABLE:
        op.drop_column(table, "campaign_id")

    for table in SINGLETONS:
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE campaign_id <> :first").bindparams(
                first=FIRST_CAMPAIGN
            )
        )
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.add_column(
            table, sa.Column("singleton", sa.Integer(), server_default="1", nullable=False)
        )
        op.alter_column(table, "singleton", server_default=None)
        op.drop_column(table, "campaign_id")
        op.create_primary_key(f"pk_{table}", table, ["singleton"])

    op.drop_index("uq_escalations_open_campaign_unit_reason", table_name="escalations")
    op.execute(
        sa.text("DELETE FROM escalations WHERE campaign_id <> :first").bindparams(
            first=FIRST_CAMPAIGN
        )
    )
    op.create_index(
        "uq_escalations_open_unit_reason",
        "escalations",
        ["unit_id", "reason"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.drop_index("ix_escalations_campaign_id", table_name="escalations")
    op.drop_column("escalations", "campaign_id")

    op.drop_table("evaluated_enterprises")
    op.drop_index("ix_enterprise_outcomes_uscc", table_name="enterprise_outcomes")
    for table, key in KEYS.items():
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE campaign_id <> :first").bindparams(
                first=FIRST_CAMPAIGN
            )
        )
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, [c for c in key if c != "campaign_id"])
        op.drop_column(table, "campaign_id")
