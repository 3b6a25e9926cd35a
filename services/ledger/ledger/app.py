"""Ledger's composition root: the one place that wires settings, clock, storage, bus and API."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from ledger import api, handlers, storage
from ledger.settings import LedgerSettings
from shared.cancellation import raise_if_cancelling
from shared.clock import Clock, platform_clock
from shared.consumer import Registry
from shared.contracts.bank import BANK_EVENTS
from shared.service import Runtime, create_app
from shared.topics import MATCHMAKING_EVENTS, ROSTER_EVENTS

log = logging.getLogger(__name__)

DESCRIPTION = """
The monthly work ledger (工作台帐) of every county sub-branch and city-level institution,
built from events, in the official columns; filing, deadlines, special information reports
(专题信息) and publicity activities.

**Rows.** One row per (enterprise, institution) pairing (银企对接) in the month. A county's
ledger holds the pairings of enterprises of the county (the roster's county, else the
pairing's); an institution's holds its own. 对接时间 is the pair's first pairing in the month.

**When a credit or a loan belongs to a month's row.** A credit decision (granted or declined)
or a loan belongs to the row of the pair's latest pairing month on or before its date
(`granted_on`, `declined_on`, `issued_on`): everything that follows a pairing is reported
under it, also after the month's end, until the pair is paired again in a later month. Each
credit and loan is therefore in exactly one month's ledger; one dated before the pair's first
pairing is in none. Reversed loans (冲正) are not counted and are named in 备注.

**Deadlines.** Month M is due by the end of the 10th of M+1, Asia/Shanghai (reference data:
`campaign.ledger_due_day`, `campaign.timezone`). When that passes without a submission,
`LedgerOverdue` is published once; without a special information report,
`SpecialReportMissing` once. A later submission is marked late.
"""


def build(settings: LedgerSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or LedgerSettings()
    runtime = Runtime.create(settings, storage.metadata, store=lambda connection: connection)
    clock = clock or platform_clock(settings, runtime.reference().campaign.zone)
    runtime.subscribe(
        "matchmaking",
        Registry(
            dict.fromkeys(handlers.MATCHMAKING_EVENTS_HANDLED, handlers.apply_matchmaking_events)
        ),
        topics=[MATCHMAKING_EVENTS],
    )
    runtime.subscribe(
        "roster",
        Registry(dict.fromkeys(handlers.ROSTER_EVENTS_HANDLED, handlers.apply_roster_events)),
        topics=[ROSTER_EVENTS],
    )
    runtime.subscribe_bank_events(Registry(dict.fromkeys(BANK_EVENTS, handlers.apply_bank_events)))
    runtime.run_in_background(
        "deadline-scheduler", lambda: watch_deadlines(runtime, clock, settings)
    )
    app = create_app(runtime, [api.router], title="Firstloan ledger", description=DESCRIPTION)
    app.state.clock = clock
    return app


async def watch_deadlines(runtime: Runtime, clock: Clock, settings: LedgerSettings) -> None:
    """Give the notices whose due time has passed, then look again after a while."""
    while True:
        raise_if_cancelling()
        try:
            await handlers.give_due_notices(runtime, clock())
        except Exception:
            raise_if_cancelling()
            log.exception("deadline check failed; trying again at the next tick")
        await asyncio.sleep(settings.deadline_check_seconds)
