"""Who may call which of the adapter's endpoints (shared.access): what Fineract instances
sent and how they are mapped is for supervisors (`central`) only."""

from __future__ import annotations

from shared.access import CENTRAL, AccessTable

ACCESS: AccessTable = {
    ("GET", "/instances"): CENTRAL,
    ("GET", "/mapping"): CENTRAL,
}
