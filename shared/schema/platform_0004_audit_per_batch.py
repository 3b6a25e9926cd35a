"""audit of bank records per batch: `audit_batches` (append-only), and where the inbox's
records were read (topic, partition, offset)

Revision ID: platform_0004
Revises: platform_0003
Create Date: 2026-12-04 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.audit import AUDIT_DOWNGRADE_V2, AUDIT_SCHEMA_V2

revision: str = "platform_0004"
down_revision: str | None = "platform_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbox", sa.Column("topic", sa.Text(), nullable=True))
    op.add_column("inbox", sa.Column("partition", sa.Integer(), nullable=True))
    op.add_column("inbox", sa.Column("offset", sa.BigInteger(), nullable=True))
    for statement in AUDIT_SCHEMA_V2:
        op.execute(statement)


def downgrade() -> None:
    for statement in AUDIT_DOWNGRADE_V2:
        op.execute(statement)
    op.drop_column("inbox", "offset")
    op.drop_column("inbox", "partition")
    op.drop_column("inbox", "topic")
