"""audit trail: who did what, when, from where (append-only)

Revision ID: platform_0003
Revises: platform_0002
Create Date: 2026-12-01 23:55:00
"""

from collections.abc import Sequence

from alembic import op

from shared.audit import AUDIT_DOWNGRADE_V1, AUDIT_UPGRADE_V1

revision: str = "platform_0003"
down_revision: str | None = "platform_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in AUDIT_UPGRADE_V1:
        op.execute(statement)


def downgrade() -> None:
    for statement in AUDIT_DOWNGRADE_V1:
        op.execute(statement)
