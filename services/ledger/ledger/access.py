"""Who may call which of the ledger's endpoints (shared.access).

A reporting unit is a county sub-branch (`county:<code>`) or an institution
(`institution:<id>`): each reads, uploads and submits its own ledger, files its own special
information reports and reads them back; a county records and reads its county's publicity
activities. The status grid shows every unit at once: supervisors (`central`) only, who may
call everything. Organizers, departments and guarantors have nothing here.
"""

from __future__ import annotations

from shared.access import CENTRAL, AccessTable, Rule

# The unit a ledger route names in its path is a county code or an institution id.
OWN_LEDGER = Rule(county="path:unit_id", institution="path:unit_id")

ACCESS: AccessTable = {
    ("GET", "/ledgers/status"): CENTRAL,
    ("GET", "/ledgers/{unit_id}/{period}"): OWN_LEDGER,
    ("POST", "/ledgers/{unit_id}/{period}/submit"): OWN_LEDGER,
    ("GET", "/ledgers/{unit_id}/{period}/versions"): OWN_LEDGER,
    ("GET", "/ledgers/{unit_id}/{period}/versions/{version}"): OWN_LEDGER,
    ("POST", "/ledgers/{unit_id}/{period}/upload"): OWN_LEDGER,
    # The route checks the body's unit_id: `access.require(county=..., institution=...)`.
    ("POST", "/reports"): Rule(county="body:unit_id", institution="body:unit_id"),
    ("GET", "/reports"): Rule(county="query:unit_id", institution="query:unit_id"),
    # The route checks the body's county_code: `access.require_county(...)`.
    ("POST", "/publicity"): Rule(county="body:county_code"),
    # A county lists its own county's activities (county_code is then required).
    ("GET", "/publicity"): Rule(county="query:county_code"),
}
