"""Who may call which of matchmaking's endpoints (shared.access): supervisors (`central`)
everything; fair organizers fairs, attendance, pairings, plans (read) and products in any county; a
county sub-branch its own county's fairs and their attendance; a bank its own pairings, plans,
visits, products and figures. Per-institution figures of every bank are the supervisors' alone.

A rule bound to `body:<field>` is checked by the route once it has the unit: from the request
body, or from the fair, pairing or plan the path names (loaded first: its county or its
institution is the unit), before anything changes."""

from __future__ import annotations

from shared.access import CENTRAL, PUBLIC, AccessTable, Rule

# A county sub-branch for its own county, an organizer for any.
COUNTY_FAIRS = Rule(organizer=True, county="body:county_code")
# A bank for its own pairings, an organizer for any.
PAIRINGS = Rule(organizer=True, institution="body:institution_id")
# A bank for itself only.
OWN_INSTITUTION = Rule(institution="body:institution_id")

ACCESS: AccessTable = {
    # fairs: the body's county_code, or the loaded fair's
    ("POST", "/fairs"): COUNTY_FAIRS,
    ("GET", "/fairs"): Rule(organizer=True, county="query:county_code"),
    ("GET", "/fairs/{fair_id}"): COUNTY_FAIRS,
    ("POST", "/fairs/{fair_id}/attendance"): COUNTY_FAIRS,
    # pairings: the body's institution_id, or the loaded pairing's
    ("POST", "/matches"): PAIRINGS,
    ("GET", "/matches"): Rule(organizer=True, institution="query:institution_id"),
    ("GET", "/matches/{match_id}"): PAIRINGS,
    # plans and visits: the body's institution_id (and the current plan's, when revised by a
    # bank), or the loaded plan's responsible institution
    ("PUT", "/enterprises/{uscc}/plan"): OWN_INSTITUTION,
    ("GET", "/enterprises/{uscc}/plan"): PAIRINGS,
    ("POST", "/enterprises/{uscc}/visits"): OWN_INSTITUTION,
    # first-loan products: organizers present them at fairs
    ("POST", "/institutions/{institution_id}/products"): Rule(institution="path:institution_id"),
    ("GET", "/institutions/{institution_id}/products"): Rule(
        organizer=True, institution="path:institution_id"
    ),
    ("GET", "/products"): Rule(organizer=True),
    # figures: credit amounts and processing times per bank are supervision
    ("GET", "/figures"): CENTRAL,
    ("GET", "/institutions/{institution_id}/figures"): Rule(institution="path:institution_id"),
    # the platform's event catalogue, for bank integrators
    ("GET", "/asyncapi"): PUBLIC,
    ("GET", "/asyncapi.json"): PUBLIC,
}
