"""campaigns: the cultivation list, assignments and whitelists per campaign

Listings, assignments and whitelist versions are keyed by their campaign; a nomination names
its campaign (NULL for a rejection whose campaign could not be told); a pairing keeps the
county matchmaking gave. Everything recorded before belongs to xinzhou-2020, the one campaign
there was. Loans, pairings and fairs attended stay facts of no campaign.

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
# Each keyed table, its key before and after.
KEYS: dict[str, tuple[list[str], list[str]]] = {
    "listings": (["uscc", "listed_on"], ["campaign_id", "uscc", "listed_on"]),
    "assignments": (["uscc", "institution_id"], ["campaign_id", "uscc", "institution_id"]),
    "whitelist_versions": (["version"], ["campaign_id", "version"]),
    "whitelist_entries": (["version", "uscc"], ["campaign_id", "version", "uscc"]),
}


def upgrade() -> None:
    for table, (_, new_key) in KEYS.items():
        # The default fills the rows there are, then goes: every new row names its campaign.
        op.add_column(
            table,
            sa.Column(
                "campaign_id",
                sa.Text(),
                nullable=False,
                server_default=sa.text(f"'{FIRST_CAMPAIGN}'"),
            ),
        )
        op.alter_column(table, "campaign_id", server_default=None)
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, new_key)
    op.add_column("nominations", sa.Column("campaign_id", sa.Text(), nullable=True))
    op.execute(sa.text(f"UPDATE nominations SET campaign_id = '{FIRST_CAMPAIGN}'"))
    op.drop_index(
        "ix_listings_open_county",
        table_name="listings",
        postgresql_where=sa.text("delisted_on IS NULL"),
    )
    op.create_index(
        "ix_listings_open_county",
        "listings",
        ["campaign_id", "county_code"],
        unique=False,
        postgresql_where=sa.text("delisted_on IS NULL"),
    )
    op.add_column("matches", sa.Column("county_code", sa.Text(), nullable=True))


def downgrade() -> None:
    """Back to one campaign: what other campaigns recorded is dropped (it has no place in
    the older schema)."""
    op.drop_column("matches", "county_code")
    op.drop_index(
        "ix_listings_open_county",
        table_name="listings",
        postgresql_where=sa.text("delisted_on IS NULL"),
    )
    op.create_index(
        "ix_listings_open_county",
        "listings",
        ["county_code"],
        unique=False,
        postgresql_where=sa.text("delisted_on IS NULL"),
    )
    op.drop_column("nominations", "campaign_id")
    for table, (old_key, _) in KEYS.items():
        op.execute(sa.text(f"DELETE FROM {table} WHERE campaign_id <> '{FIRST_CAMPAIGN}'"))
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, old_key)
        op.drop_column(table, "campaign_id")
