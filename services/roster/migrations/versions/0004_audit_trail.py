"""audit trail: who did what, when, from where (append-only)

Merges the platform's revision that creates it (shared/schema): databases at 0004 have it.
"""

from shared.migrations import no_schema_change

revision: str = "0004"
down_revision: tuple[str, str] = ("0003", "platform_0003")
upgrade = downgrade = no_schema_change
