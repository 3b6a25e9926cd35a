"""The ledger on a fixed platform clock (`clock_date`), years from the machine's date: what
is due, overdue, late or not yet fileable follows the clock.

On 2020-11-05, September's ledger (due 2020-10-10) is overdue and October's (due
2020-11-10) is not; by the machine's date every month of the 2020 campaign would be
overdue, and November could already be filed."""

from __future__ import annotations

import datetime as dt

import pytest

import ledger.app
from shared.testing import eventually

from .ledger_fixtures import client_of, ledger_events, settings_for

pytestmark = pytest.mark.integration

COUNTY = "140902"
CLOCK_DATE = dt.date(2020, 11, 5)


async def test_due_and_overdue_follow_the_fixed_clock(private_namespace: str) -> None:
    settings = settings_for(private_namespace).model_copy(update={"clock_date": CLOCK_DATE})
    app = ledger.app.build(settings)  # the platform's clock from the settings, as deployed
    runtime = app.runtime
    async with runtime.running(), client_of(app) as http:
        september = (await http.get(f"/ledgers/{COUNTY}/2020-09")).json()
        october = (await http.get(f"/ledgers/{COUNTY}/2020-10")).json()
        assert (september["status"], october["status"]) == ("overdue", "draft")

        grid = (await http.get("/ledgers/status")).json()
        assert grid["as_of"].startswith("2020-11-05T12:00:00")
        cells = {(c["unit_id"], c["period"]): c["ledger"] for c in grid["cells"]}
        assert cells[(COUNTY, "2020-09")] == "overdue"
        assert cells[(COUNTY, "2020-10")] == "not_due"

        assert (await http.post(f"/ledgers/{COUNTY}/2020-11/submit")).status_code == 409
        filed = await http.post(f"/ledgers/{COUNTY}/2020-10/submit")
        assert filed.status_code == 201, filed.text
        assert filed.json()["late"] is False
        assert filed.json()["submitted_at"].startswith("2020-11-05")

        async def september_overdue() -> bool:
            events = await ledger_events(private_namespace, "LedgerOverdue")
            return (COUNTY, "2020-09") in {(e["unit_id"], e["period"]) for e in events}

        await eventually(september_overdue, what="September's LedgerOverdue")
        overdue = await ledger_events(private_namespace, "LedgerOverdue")
        assert {e["period"] for e in overdue} == {"2020-09"}
