"""Who may call which of roster's endpoints (shared.access; the roles: docs/operations.md,
"HTTP access").

- Nominations: supervisors and government departments for any county; a county sub-branch
  for its own county, a bank as itself (`institution_id`). The routes check every nomination
  of a request, and every row of a batch or upload, before anything is saved.
- An enterprise's file: supervisors, departments, the enterprise's county and the banks it is
  assigned to (the route checks the county and the assignments on file).
- Assignments: a county sub-branch for its county's enterprises, a bank for itself.
- Delisting and publishing the whitelist: supervisors only.
- The whitelist: supervisors and departments (the live list or a version), guarantee companies
  (published versions only: without `version`, the latest), a county sub-branch with its
  `county_code`, a bank with its `institution_id`.
- A county's list at the deadline: supervisors and that county.
- A city's supervisors (`central:<region>`) nominate, assign and delist in their region's
  counties only, and read their region's campaigns (shared.dependencies.resolve_campaign).
- The template and the size standard: any valid token. Health, metrics and the documents are
  public (shared.access.PLATFORM_ACCESS).
"""

from __future__ import annotations

from shared.access import ANY_CALLER, CENTRAL, AccessTable, Rule

NOMINATING = Rule(department=True, county="body:county_code", institution="body:institution_id")

ACCESS: AccessTable = {
    ("POST", "/nominations"): NOMINATING,
    ("POST", "/nominations/batch"): NOMINATING,
    ("POST", "/nominations/upload"): NOMINATING,
    ("GET", "/nominations/template.xlsx"): ANY_CALLER,
    ("GET", "/size-standard"): ANY_CALLER,
    ("GET", "/enterprises/{uscc}"): Rule(
        department=True, county="body:county_code", institution="body:institution_id"
    ),
    ("POST", "/enterprises/{uscc}/assignments"): Rule(
        county="body:county_code", institution="body:institution_id"
    ),
    ("POST", "/enterprises/{uscc}/delist"): CENTRAL,
    ("GET", "/whitelist"): Rule(
        guarantor=True,
        department=True,
        county="query:county_code",
        institution="query:institution_id",
    ),
    ("POST", "/whitelist/publish"): CENTRAL,
    ("GET", "/counties/{county_code}/list-at-deadline"): Rule(county="path:county_code"),
}
