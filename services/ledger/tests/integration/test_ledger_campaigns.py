"""Ledgers are a campaign's, over the real broker and database: Xinzhou's 2020 campaign and
Yunzhou's overlapping one (and Xinzhou's 2021, planned). ICBC keeps a ledger in each city
with that city's rows only; a county's ledger is its campaign's; a call that names no
campaign where two could be meant is refused naming them, and a single-campaign platform
still needs no name; each campaign's overdue ledgers are announced with its id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

import ledger.app
from shared.reference import PACKAGED_REFERENCE_FILE
from shared.service import Service
from shared.testing import campaigns_dir, eventually, sample_uscc

from .ledger_fixtures import (
    MovableClock,
    Publisher,
    client_of,
    ledger_events,
    settings_for,
    shanghai,
)

pytestmark = pytest.mark.integration

XINZHOU, YUNZHOU = "xinzhou-2020", "yunzhou-2020"
XIN_COUNTY, BEILING, YUNZHONG = "140902", "149921", "149902"  # 忻府区, 北岭县, 云中区
OCTOBER = "2020-10"
ENTERPRISE = "对接企业名称"


@pytest.fixture
async def two_cities(
    private_namespace: str, tmp_path: Path
) -> AsyncIterator[tuple[Service[Any], MovableClock]]:
    campaigns = campaigns_dir(tmp_path / "c", "yunzhou-2020", "xinzhou-2021")
    settings = settings_for(private_namespace).model_copy(update={"campaigns": campaigns})
    clock = MovableClock(shanghai(2020, 11, 5))
    app = ledger.app.build(settings, clock=clock)
    async with app.runtime.running():
        yield app, clock


async def ledger_of(
    http: httpx.AsyncClient, unit_id: str, campaign: str | None = None
) -> dict[str, Any]:
    params = {"campaign": campaign} if campaign else {}
    response = await http.get(f"/ledgers/{unit_id}/{OCTOBER}", params=params)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


async def test_each_campaign_keeps_its_ledgers_with_its_regions_rows(
    two_cities: tuple[Service[Any], MovableClock],
    private_namespace: str,
    kafka_producer: AIOKafkaProducer,
) -> None:
    app, clock = two_cities
    publish = Publisher(kafka_producer, private_namespace)
    in_xinzhou = sample_uscc(71, XIN_COUNTY, tag="LC")
    in_beiling = sample_uscc(72, BEILING, tag="LC")
    in_yunzhong = sample_uscc(73, YUNZHONG, tag="LC")
    await publish.matched(in_xinzhou, "icbc", "2020-10-12", county_code=XIN_COUNTY)
    await publish.matched(in_beiling, "icbc", "2020-10-14", county_code=BEILING)
    await publish.matched(in_yunzhong, "yzrcu", "2020-10-15", county_code=YUNZHONG)

    async with client_of(app) as http:

        async def all_paired() -> bool:
            counts = [
                len((await ledger_of(http, "icbc", XINZHOU))["rows"]),
                len((await ledger_of(http, "icbc", YUNZHOU))["rows"]),
                len((await ledger_of(http, "yzrcu", YUNZHOU))["rows"]),
            ]
            return counts == [1, 1, 1]

        await eventually(all_paired, what="the three pairings in their cities' ledgers")
        xinzhou = await ledger_of(http, "icbc", XINZHOU)
        yunzhou = await ledger_of(http, "icbc", YUNZHOU)
        assert (xinzhou["campaign_id"], yunzhou["campaign_id"]) == (XINZHOU, YUNZHOU)
        assert [r[ENTERPRISE] for r in xinzhou["rows"]] == [in_xinzhou]
        assert [r[ENTERPRISE] for r in yunzhou["rows"]] == [in_beiling]
        assert xinzhou["unit_name"] == "工商银行忻州分行"
        assert yunzhou["unit_name"] == "工商银行云州分行（示例）"

        # a county's ledger is its campaign's, named or not
        beiling = await ledger_of(http, BEILING)
        assert beiling["campaign_id"] == YUNZHOU
        assert [r[ENTERPRISE] for r in beiling["rows"]] == [in_beiling]
        assert (await ledger_of(http, XIN_COUNTY))["campaign_id"] == XINZHOU
        elsewhere = await http.get(f"/ledgers/{BEILING}/{OCTOBER}", params={"campaign": XINZHOU})
        assert elsewhere.status_code == 404
        assert elsewhere.json()["detail"][0]["field"] == "unit_id"

        # ICBC in two running campaigns: the month both have needs the campaign named
        ambiguous = await http.get(f"/ledgers/icbc/{OCTOBER}")
        assert ambiguous.status_code == 409, ambiguous.text
        [detail] = ambiguous.json()["detail"]
        assert detail["field"] == "campaign"
        assert sorted(detail["candidates"]) == [XINZHOU, YUNZHOU]
        # ... and a month only one of them has names it
        september = await http.get("/ledgers/icbc/2020-09")
        assert september.status_code == 200
        assert september.json()["campaign_id"] == XINZHOU
        # an unknown campaign is the caller's mistake
        unknown = await http.get(f"/ledgers/icbc/{OCTOBER}", params={"campaign": "nowhere-2020"})
        assert unknown.status_code == 422

        submitted = await http.post(f"/ledgers/icbc/{OCTOBER}/submit?campaign={YUNZHOU}")
        assert submitted.status_code == 201, submitted.text
        assert (submitted.json()["campaign_id"], submitted.json()["version"]) == (YUNZHOU, 1)
        versions = await http.get(f"/ledgers/icbc/{OCTOBER}/versions?campaign={XINZHOU}")
        assert versions.json() == []
        snapshot = await http.get(f"/ledgers/icbc/{OCTOBER}/versions/1?campaign={YUNZHOU}")
        assert [r[ENTERPRISE] for r in snapshot.json()["rows"]] == [in_beiling]
        report = {"unit_id": BEILING, "period": OCTOBER, "category": "typical_case"}
        created = await http.post("/reports", json=report | {"title": "北岭案例", "body": "..."})
        assert created.status_code == 201, created.text
        assert created.json()["campaign_id"] == YUNZHOU

        grid = (await http.get("/ledgers/status", params={"campaign": YUNZHOU})).json()
        assert grid["campaign_id"] == YUNZHOU
        cells = {(c["unit_id"], c["period"]): c for c in grid["cells"]}
        assert {unit for unit, _ in cells} == {YUNZHONG, BEILING, "149922"} | {
            "icbc",
            "ccb",
            "jinshang",
            "yzrcu",
        }
        assert cells[("icbc", OCTOBER)]["ledger"] == "on_time"
        assert cells[(BEILING, OCTOBER)]["special_report"] == "filed"

    # a supervisor of Yunzhou's city means Yunzhou's campaign
    async with client_of(app, "central:1499") as city:
        assert (await ledger_of(city, "icbc"))["campaign_id"] == YUNZHOU
        assert (await city.get(f"/ledgers/icbc/{OCTOBER}?campaign={XINZHOU}")).status_code == 403

    clock.now = shanghai(2020, 11, 11)  # October's due time in both cities

    async def overdue() -> set[tuple[str, str]]:
        return {
            (e["campaign_id"], e["unit_id"])
            for e in await ledger_events(private_namespace, "LedgerOverdue")
            if e["period"] == OCTOBER
        }

    async def announced() -> bool:
        return {(YUNZHOU, YUNZHONG), (YUNZHOU, "yzrcu"), (XINZHOU, "icbc")} <= await overdue()

    await eventually(announced, what="LedgerOverdue of each campaign's October")
    late = await overdue()
    assert (YUNZHOU, "icbc") not in late  # filed on time in Yunzhou
    assert {campaign for campaign, _ in late} == {XINZHOU, YUNZHOU}
    submissions = await ledger_events(private_namespace, "LedgerSubmitted")
    assert [(e["campaign_id"], e["unit_id"]) for e in submissions] == [(YUNZHOU, "icbc")]
    missing = await ledger_events(private_namespace, "SpecialReportMissing")
    assert (YUNZHOU, BEILING) not in {(e["campaign_id"], e["unit_id"]) for e in missing}


async def test_a_single_campaign_platform_needs_no_campaign_named(private_namespace: str) -> None:
    settings = settings_for(private_namespace).model_copy(
        update={"campaigns": PACKAGED_REFERENCE_FILE}
    )
    app = ledger.app.build(settings, clock=MovableClock(shanghai(2020, 11, 5)))
    async with app.runtime.running(), client_of(app) as http:
        document = await ledger_of(http, "icbc")
        assert (document["campaign_id"], document["unit_name"]) == (XINZHOU, "工商银行忻州分行")
        assert (await http.get(f"/ledgers/{BEILING}/{OCTOBER}")).status_code == 404
        grid = await http.get("/ledgers/status")
        assert grid.json()["campaign_id"] == XINZHOU
