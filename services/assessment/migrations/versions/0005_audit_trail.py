"""audit trail: who did what, when, from where (append-only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:55:00
"""

from collections.abc import Sequence

from alembic import op

from shared.audit import AUDIT_DOWNGRADE_V1, AUDIT_UPGRADE_V1

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in AUDIT_UPGRADE_V1:
        op.execute(statement)


def downgrade() -> None:
    for statement in AUDIT_DOWNGRADE_V1:
        op.execute(statement)
