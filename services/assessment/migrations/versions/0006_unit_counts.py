"""unit counts kept up to date from the enterprises each batch touched

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:50:00

The counts start from the outcomes already stored, so an existing database needs no rebuild.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS_FROM_OUTCOMES = """
INSERT INTO unit_counts (measure, level, unit_id, total)
SELECT measure, level, unit_id, count(*) FROM (
    SELECT 'cultivated' AS measure, 'region' AS level, '' AS unit_id
        FROM enterprise_outcomes WHERE county_code IS NOT NULL
    UNION ALL SELECT 'cultivated', 'county', county_code
        FROM enterprise_outcomes WHERE county_code IS NOT NULL
    UNION ALL SELECT 'cultivated', 'institution', unnest(institutions)
        FROM enterprise_outcomes WHERE county_code IS NOT NULL
    UNION ALL SELECT 'first_loans', 'region', ''
        FROM enterprise_outcomes WHERE jsonb_typeof(first_loan) = 'object'
    UNION ALL SELECT 'first_loans', 'county', first_loan->>'county_code'
        FROM enterprise_outcomes WHERE jsonb_typeof(first_loan) = 'object'
    UNION ALL SELECT 'first_loans', 'institution', first_loan->>'institution_id'
        FROM enterprise_outcomes WHERE jsonb_typeof(first_loan) = 'object'
    UNION ALL SELECT 'anomalies', 'institution', a->'claim'->>'institution_id'
        FROM enterprise_outcomes, jsonb_array_elements(anomalies) AS a
) AS contributions
GROUP BY measure, level, unit_id
"""


def upgrade() -> None:
    op.create_table(
        "unit_counts",
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("measure", "level", "unit_id", name=op.f("pk_unit_counts")),
    )
    op.create_index(
        "ix_enterprise_outcomes_with_anomalies",
        "enterprise_outcomes",
        ["uscc"],
        postgresql_where=sa.text("anomalies <> '[]'::jsonb"),
    )
    op.execute(_COUNTS_FROM_OUTCOMES)


def downgrade() -> None:
    op.drop_index("ix_enterprise_outcomes_with_anomalies", table_name="enterprise_outcomes")
    op.drop_table("unit_counts")
