"""Who may call assessment: supervisors see and run everything (a city's, `central:<region>`,
its region's campaigns: `shared.dependencies.resolve_campaign` refuses the others); the
province (`province`) reads what supervisors read, every city, and writes nothing; a county
sub-branch or a bank sees its own unit's detail and the files of its own enterprises, and a
county sub-branch subscribes to (and mutes) its own county's escalations. The dashboard's
pages and assets are public (they hold no data: a page asks for a token and sends it with
every request)."""

from __future__ import annotations

from shared.access import CENTRAL, PUBLIC, AccessTable, Rule

OWN_UNIT = Rule(county="path:unit_id", institution="path:unit_id")
# Notices: a county sub-branch subscribes to and mutes its own county only, and sees only
# its own county's subscriptions, silences and deliveries.
OWN_COUNTY_NAMED = Rule(county="body:unit_id")
OWN_COUNTY_ASKED = Rule(county="query:county_code")
# An enterprise's file: a county sub-branch reads it as its own county (`?county_code=`), an
# institution as itself (`?institution_id=`); the route then requires the enterprise to have
# been listed in that county, or assigned to (or lent to by) that institution.
AS_OWN_UNIT = Rule(county="query:county_code", institution="query:institution_id")

ACCESS: AccessTable = {
    ("GET", "/attainment"): CENTRAL,
    ("POST", "/assessments"): CENTRAL,
    ("GET", "/escalations"): CENTRAL,
    ("GET", "/escalations/{escalation_id}"): CENTRAL,
    ("POST", "/escalations/{escalation_id}/acknowledgement"): CENTRAL,
    ("POST", "/escalations/{escalation_id}/documents"): CENTRAL,
    ("GET", "/escalations/{escalation_id}/documents/{document_id}"): CENTRAL,
    ("POST", "/escalations/{escalation_id}/talks"): CENTRAL,
    ("GET", "/escalations/{escalation_id}/circular/draft.docx"): CENTRAL,
    ("POST", "/escalations/{escalation_id}/circular"): CENTRAL,
    ("POST", "/rectifications/{rectification_id}/close"): CENTRAL,
    ("GET", "/anomalies"): CENTRAL,
    ("GET", "/checkpoints"): CENTRAL,
    ("GET", "/checkpoints/{as_of}/ranking"): CENTRAL,
    ("GET", "/checkpoints/{as_of}/ranking.xlsx"): CENTRAL,
    ("GET", "/checkpoints/{as_of}/circular.docx"): CENTRAL,
    ("GET", "/institutions/service"): CENTRAL,
    ("GET", "/institutions/data-quality"): CENTRAL,
    # Every city side by side: supervisors and the province (a city's supervisors see their
    # own city's row only).
    ("GET", "/province"): CENTRAL,
    ("GET", "/province/series"): CENTRAL,
    ("GET", "/"): PUBLIC,
    ("GET", "/units/{unit_id}"): PUBLIC,
    ("GET", "/enterprises/{uscc}"): PUBLIC,
    ("GET", "/cities"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/events/stream"): Rule(query_token=True),
    ("GET", "/dashboard/campaign"): CENTRAL,
    ("GET", "/dashboard/series"): CENTRAL,
    ("GET", "/dashboard/units/{unit_id}"): OWN_UNIT,
    ("GET", "/dashboard/ledger-status"): CENTRAL,
    ("GET", "/dashboard/enterprises/{uscc}"): AS_OWN_UNIT,
    ("POST", "/subscriptions"): OWN_COUNTY_NAMED,
    ("GET", "/subscriptions"): OWN_COUNTY_ASKED,
    ("DELETE", "/subscriptions/{subscription_id}"): OWN_COUNTY_ASKED,
    ("POST", "/silences"): OWN_COUNTY_NAMED,
    ("GET", "/silences"): OWN_COUNTY_ASKED,
    ("GET", "/deliveries"): OWN_COUNTY_ASKED,
}
