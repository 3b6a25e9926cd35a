"""initial: the platform's inbox and outbox

Follows the platform's revision that creates them (shared/schema): databases at 0001 have them.
"""

from shared.migrations import no_schema_change

revision: str = "0001"
down_revision: str = "platform_0001"
upgrade = downgrade = no_schema_change
