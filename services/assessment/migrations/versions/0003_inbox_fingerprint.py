"""inbox: a fingerprint of each event's content, to tell a redelivery from a reused id

Merges the platform's revision that adds it (shared/schema): databases at 0003 have it.
"""

from shared.migrations import no_schema_change

revision: str = "0003"
down_revision: tuple[str, str] = ("0002", "platform_0002")
upgrade = downgrade = no_schema_change
