"""Filing against the clock: versions with reasons, lateness, the status grid, and the
overdue and missing-report notices given exactly once, also across a restart."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from shared.reference import load_reference
from shared.service import Service
from shared.testing import eventually

from .ledger_fixtures import (
    MovableClock,
    Publisher,
    ledger_events,
    new_uscc,
    running_ledger,
    shanghai,
)

pytestmark = pytest.mark.integration

ON_TIME, LATE = "140923", "140924"  # 代县, 繁峙县: no other test of the ledger files them
OCTOBER = "2020-10"


async def drained(service: Service[Any]) -> None:
    runtime = service.runtime

    async def empty() -> bool:
        return await runtime.relay.pending() == 0

    await eventually(empty, what="the outbox to be published")


async def october(namespace: str, name: str) -> Counter[str]:
    return Counter(
        e["unit_id"] for e in await ledger_events(namespace, name) if e["period"] == OCTOBER
    )


async def test_versions_lateness_and_notices_once(
    namespace: str, kafka_producer: AIOKafkaProducer
) -> None:
    unit_ids = [c.code for c in load_reference().counties] + [
        i.id for i in load_reference().institutions
    ]
    clock = MovableClock(shanghai(2020, 11, 5))
    async with running_ledger(namespace, clock) as (app, http):
        early = await http.post(f"/ledgers/{ON_TIME}/2020-11/submit")
        assert early.status_code == 409
        first = await http.post(f"/ledgers/{ON_TIME}/{OCTOBER}/submit")
        assert first.status_code == 201, first.text
        assert (first.json()["version"], first.json()["late"]) == (1, False)
        report = {"unit_id": ON_TIME, "period": OCTOBER, "category": "typical_case"}
        created = await http.post(
            "/reports", json=report | {"title": "代县首贷案例", "body": "..."}
        )
        assert created.status_code == 201, created.text
        wrong = await http.post("/reports", json=report | {"category": "gossip", "title": ""})
        assert wrong.status_code == 422
        fields = {p["field"] for p in wrong.json()["detail"]}
        assert {"category", "title"} <= fields  # and the missing body (shown as "(body)")
        assert len(fields) == 3

        uscc = new_uscc()
        await Publisher(kafka_producer, namespace).matched(
            uscc, "boc", "2020-10-20", county_code=ON_TIME
        )

        async def paired() -> bool:
            return len((await http.get(f"/ledgers/{ON_TIME}/{OCTOBER}")).json()["rows"]) == 1

        await eventually(paired, what="the late pairing in the live ledger")
        no_reason = await http.post(f"/ledgers/{ON_TIME}/{OCTOBER}/submit", json={})
        assert no_reason.status_code == 422
        assert no_reason.json()["detail"][0]["field"] == "reason"
        second = await http.post(
            f"/ledgers/{ON_TIME}/{OCTOBER}/submit", json={"reason": "补录10月20日对接"}
        )
        assert second.json()["version"] == 2
        v1 = (await http.get(f"/ledgers/{ON_TIME}/{OCTOBER}/versions/1")).json()
        v2 = (await http.get(f"/ledgers/{ON_TIME}/{OCTOBER}/versions/2")).json()
        assert (len(v1["rows"]), len(v2["rows"])) == (0, 1)
        assert v2["submission"]["reason"] == "补录10月20日对接"

        clock.now = shanghai(2020, 11, 10, 23, 59)
        await asyncio.sleep(0.5)  # ten ticks of the scheduler before the due time
        await drained(app)
        assert await october(namespace, "LedgerOverdue") == Counter()

        clock.now = shanghai(2020, 11, 11, 0, 0)
        expected = Counter({unit_id: 1 for unit_id in unit_ids if unit_id != ON_TIME})

        async def all_overdue() -> bool:
            return await october(namespace, "LedgerOverdue") == expected

        await eventually(all_overdue, what="one LedgerOverdue per unit that did not file")
        late = await http.post(f"/ledgers/{LATE}/{OCTOBER}/submit")
        assert late.json()["late"] is True
        grid = (await http.get("/ledgers/status")).json()
        cells = {(c["unit_id"], c["period"]): c for c in grid["cells"]}
        assert cells[(ON_TIME, OCTOBER)]["ledger"] == "on_time"
        assert cells[(ON_TIME, OCTOBER)]["special_report"] == "filed"
        assert cells[(LATE, OCTOBER)]["ledger"] == "late"
        assert cells[("140902", OCTOBER)]["ledger"] == "overdue"
        assert cells[("140902", OCTOBER)]["special_report"] == "missing"
        assert cells[("140902", "2020-11")]["ledger"] == "not_due"
        status = (await http.get(f"/ledgers/{LATE}/{OCTOBER}")).json()["status"]
        assert status == "submitted"
        await asyncio.sleep(0.5)
        await drained(app)

    async with running_ledger(namespace, clock) as (app, http):  # a restart
        await asyncio.sleep(0.5)
        await drained(app)
        assert await october(namespace, "LedgerOverdue") == expected
        missing = await october(namespace, "SpecialReportMissing")
        assert missing == Counter({unit_id: 1 for unit_id in unit_ids if unit_id != ON_TIME})
        submitted = [
            (e["unit_id"], e["version"], e["late"], e["row_count"])
            for e in await ledger_events(namespace, "LedgerSubmitted")
            if e["period"] == OCTOBER
        ]
        assert sorted(submitted) == [
            (ON_TIME, 1, False, 0),
            (ON_TIME, 2, False, 1),
            (LATE, 1, True, 0),
        ]
