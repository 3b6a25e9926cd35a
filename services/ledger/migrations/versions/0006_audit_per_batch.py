"""audit of bank records per batch, and where the inbox's records were read

Merges the platform's revision that adds them (shared/schema): databases at 0006 have them.
"""

from shared.migrations import no_schema_change

revision: str = "0006"
down_revision: tuple[str, str] = ("0005", "platform_0004")
upgrade = downgrade = no_schema_change
