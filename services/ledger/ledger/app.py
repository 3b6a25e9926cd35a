"""Ledger's composition root: the one place that wires settings, clock, storage, bus and API."""

from __future__ import annotations

from ledger import api, consumers, storage
from ledger.access import ACCESS
from ledger.handlers import Handlers
from ledger.settings import LedgerSettings
from shared.clock import Clock, platform_clock
from shared.service import Runtime, Service, create_app

DESCRIPTION = """
The monthly work ledger (工作台帐) of every county sub-branch and city-level institution,
built from events, in the official columns; filing, deadlines, special information reports
(专题信息) and publicity activities.

**Campaigns.** A ledger is a campaign's: one per (campaign, unit, month), for the months of
the campaign. Every route takes `?campaign=`; left out, a route about one unit means the
campaign the unit reports in that has the month, else the one running today, else its only
one (among those the caller may read), and answers 409 naming the candidates when several
remain (an institution in two cities' campaigns at once). Pairings, credits and loans are
facts of no campaign: a campaign's ledgers hold those of its region.

**Rows.** One row per (enterprise, institution) pairing (银企对接) in the month. A county's
ledger holds the pairings of enterprises of the county (the roster's county, else the
pairing's); an institution's holds its own with enterprises of the campaign's counties (and,
when no other campaign of the institution has the month, those of enterprises of no known
county). 对接时间 is the pair's first pairing in the month.

**When a credit or a loan belongs to a month's row.** A credit decision (granted or declined)
or a loan belongs to the row of the pair's latest pairing month on or before its date
(`granted_on`, `declined_on`, `issued_on`): everything that follows a pairing is reported
under it, also after the month's end, until the pair is paired again in a later month. Each
credit and loan is therefore in exactly one month's ledger; one dated before the pair's first
pairing is in none. Reversed loans (冲正) are not counted and are named in 备注.

**Deadlines.** Month M is due by the end of the 10th of M+1, Asia/Shanghai (each campaign's
`campaign.ledger_due_day`, `campaign.timezone`). When that passes without a submission,
`LedgerOverdue` is published once per campaign, unit and month; without a special
information report, `SpecialReportMissing` once. Both, and `LedgerSubmitted`, carry the
`campaign_id`. A later submission is marked late.

**Access.** Every call but `/health`, `/metrics` and the documentation carries a bearer token.
A county sub-branch (`county:<code>`) or an institution (`institution:<id>`) reads, uploads
and submits its own ledger and files and reads its own special information reports; a county
records and reads its county's publicity activities; the status grid is for supervisors
(`central`), who may call everything. Each operation below names who may call it.
"""


def build(
    settings: LedgerSettings | None = None, *, clock: Clock | None = None
) -> Service[Handlers]:
    settings = settings or LedgerSettings()
    runtime = Runtime.create(settings, storage.metadata, store=storage.SqlStore)
    clock = clock or platform_clock(settings, runtime.campaigns().zone)
    handlers = Handlers(runtime.campaigns, clock)
    consumers.subscribe(runtime, handlers)

    async def give_due_notices() -> None:
        async with runtime.transaction() as uow:
            await handlers.give_due_notices(uow)

    runtime.run_every("deadline-scheduler", settings.deadline_check_seconds, give_due_notices)
    app = create_app(
        runtime, [api.router], title="Firstloan ledger", access=ACCESS, description=DESCRIPTION
    )
    return Service(app, runtime, handlers, clock)
