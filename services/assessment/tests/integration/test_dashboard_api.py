"""The dashboard's server side over the real broker and database: pages and assets, the
trend series, one unit's detail, checkpoints and the ledger panel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from assessment.app import AssessmentService, build
from assessment.settings import AssessmentSettings
from shared.access_testing import supervisor_headers
from shared.contracts.bank import LoanIssued
from shared.contracts.roster import EnterpriseAssigned, EnterpriseListed
from shared.contracts.types import Guarantee
from shared.service import Runtime
from shared.testing import caught_up, eventually, publish_event, sample_uscc
from shared.topics import ROSTER_EVENTS

pytestmark = pytest.mark.integration

DINGXIANG = "140921"
TODAY = date(2020, 11, 15)


def uscc(n: int) -> str:
    return sample_uscc(n, "140921", tag="DB")


@pytest.fixture
async def assessment(namespace: str) -> AsyncIterator[tuple[AssessmentService, Runtime]]:
    settings = AssessmentSettings(
        namespace=namespace,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        clock_date=TODAY,
        run_checkpoints=False,
        tick_seconds=0.5,
        # Nothing listens here: the ledger panel must say so, not fail.
        ledger_url="http://127.0.0.1:9",
    )
    app = build(settings)
    runtime = app.runtime
    async with runtime.running():
        yield app, runtime


@pytest.fixture
async def http(assessment: tuple[AssessmentService, Runtime]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=assessment[0].app)
    async with httpx.AsyncClient(
        headers=supervisor_headers(), transport=transport, base_url="http://assessment"
    ) as client:
        yield client


async def consumed(runtime: Runtime) -> bool:
    settings = runtime.settings
    groups = {
        settings.topic("assessment.roster"): [settings.topic(ROSTER_EVENTS)],
        settings.topic("assessment.bank"): [
            settings.topic(f"bank.{bank}.events") for bank in ("boc", "abc")
        ],
    }
    for group, topics in groups.items():
        if not await caught_up(settings.kafka_bootstrap, group, topics):
            return False
    return await runtime.relay.pending() == 0


async def list_enterprise(
    producer: AIOKafkaProducer, runtime: Runtime, who: str, bank: str
) -> None:
    topic = runtime.settings.topic(ROSTER_EVENTS)
    for event in (
        EnterpriseListed(
            uscc=who, name="看板测试企业", county_code=DINGXIANG, listed_on=date(2020, 9, 5)
        ),
        EnterpriseAssigned(
            uscc=who,
            institution_id=bank,
            county_code=DINGXIANG,
            assigned_on=date(2020, 9, 6),
            way="explicit",
        ),
    ):
        await publish_event(producer, topic, event, source="urn:firstloan:roster", key=who)


async def issue_loan(
    producer: AIOKafkaProducer,
    runtime: Runtime,
    bank: str,
    loan_id: str,
    who: str,
    on: date,
    attested: bool = True,
) -> None:
    await publish_event(
        producer,
        runtime.settings.topic(f"bank.{bank}.events"),
        LoanIssued(
            loan_id=loan_id,
            institution_id=bank,
            uscc=who,
            enterprise_name="看板测试企业",
            amount_wan=Decimal("80.00"),
            issued_on=on,
            first_loan_attested=attested,
            guarantee=Guarantee.CREDIT,
        ),
        source=f"urn:firstloan:institution:{bank}",
        key=who,
    )


async def series(http: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    body = (await http.get("/dashboard/series")).json()
    return {p["on"]: p for p in body["points"]}


async def test_pages_and_assets_are_served(http: httpx.AsyncClient) -> None:
    page = await http.get("/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "首贷培植" in page.text
    for asset in ("/static/dashboard.css", "/static/js/app.js", "/static/js/charts.js"):
        response = await http.get(asset)
        assert response.status_code == 200, asset
    assert "javascript" in (await http.get("/static/js/app.js")).headers["content-type"]
    # Nothing is fetched from another origin.
    assert "http://" not in page.text
    assert "https://" not in page.text
    assert (await http.get("/units/140921")).status_code == 200
    assert (await http.get("/units/nowhere")).status_code == 404


async def test_series_and_unit_detail_count_the_scripted_facts(
    assessment: tuple[AssessmentService, Runtime],
    http: httpx.AsyncClient,
    kafka_producer: AIOKafkaProducer,
) -> None:
    _, runtime = assessment
    await eventually(lambda: consumed(runtime), what="earlier events to be taken")
    before = await series(http)

    first, second, claimed = uscc(1), uscc(2), uscc(3)
    for who in (first, second, claimed):
        await list_enterprise(kafka_producer, runtime, who, "boc")
    await issue_loan(kafka_producer, runtime, "boc", "DB-1", first, date(2020, 9, 20))
    await issue_loan(kafka_producer, runtime, "boc", "DB-2", second, date(2020, 10, 15))
    # A false claim: another bank lent to the enterprise in 2019.
    await issue_loan(kafka_producer, runtime, "abc", "DB-OLD", claimed, date(2019, 6, 1), False)
    await issue_loan(kafka_producer, runtime, "boc", "DB-3", claimed, date(2020, 10, 1))
    await eventually(lambda: consumed(runtime), what="assessment to take the scripted facts")

    after = await series(http)
    assert after.keys() == before.keys()
    assert "2020-11-15" in after
    assert "2020-12-31" in after

    def added(day: str, figure: str) -> int:
        return int(after[day][figure]) - int(before[day][figure])

    assert added("2020-09-01", "first_loans") == 0
    assert added("2020-09-15", "first_loans") == 0
    assert added("2020-09-22", "first_loans") == 1
    assert added("2020-10-13", "first_loans") == 1
    assert added("2020-10-20", "first_loans") == 2
    assert added("2020-11-15", "first_loans") == 2
    assert added("2020-09-01", "cultivated") == 0
    assert added("2020-09-08", "cultivated") == 3
    assert after["2020-12-31"]["first_loans"] is None
    # The expected line: all counties' targets (3,000) times the elapsed share.
    assert after["2020-12-31"]["expected_first_loans"] == pytest.approx(3000)
    assert after["2020-11-15"]["expected_first_loans"] == pytest.approx(3000 * 76 / 122)
    # Each point equals what the attainment API says for that day.
    for day in ("2020-09-22", "2020-10-20", "2020-11-15"):
        citywide = (await http.get("/attainment", params={"as_of": day})).json()["citywide"]
        assert (after[day]["cultivated"], after[day]["first_loans"]) == (
            citywide["cultivated"],
            citywide["first_loans"],
        )

    boc = (await http.get("/dashboard/units/boc")).json()
    assert (boc["name"], boc["level"], boc["category"]) == (
        "中国银行忻州分行",
        "institution",
        "state_owned",
    )
    mine = {e["uscc"]: e for e in boc["enterprises"] if e["uscc"] in (first, second, claimed)}
    assert mine.keys() == {first, second, claimed}
    assert mine[first]["first_loan"]["loan_id"] == "DB-1"
    assert mine[first]["first_loan"]["amount_wan"] == "80.00"
    assert mine[first]["first_loan_county"] == DINGXIANG
    assert mine[claimed]["first_loan"] is None
    assert mine[claimed]["anomalies"] == 1
    claims = [a for a in boc["anomalies"] if a["uscc"] == claimed]
    assert [a["claim"]["loan_id"] for a in claims] == ["DB-3"]
    assert [e["loan_id"] for e in claims[0]["evidence"]] == ["DB-OLD"]

    county = (await http.get(f"/dashboard/units/{DINGXIANG}")).json()
    listed = {e["uscc"]: e for e in county["enterprises"]}
    assert {first, second, claimed} <= listed.keys()
    assert listed[second]["listed_in"] == DINGXIANG
    assert listed[second]["institutions"] == ["boc"]
    # Day 76, far behind: the live warning is in the county's history.
    assert any(
        e["reason"] == "under_target" and e["status"] == "open" for e in county["escalations"]
    )
    # The abc loan is evidence only: no claim of abc's is an anomaly.
    abc = (await http.get("/dashboard/units/abc")).json()
    assert not [a for a in abc["anomalies"] if a["uscc"] == claimed]

    missing = await http.get("/dashboard/units/nowhere")
    assert missing.status_code == 404
    assert missing.json()["detail"][0]["field"] == "unit_id"


async def test_checkpoints_are_listed_with_their_downloads(http: httpx.AsyncClient) -> None:
    run = await http.post("/assessments", json={"as_of": "2020-10-31"})
    assert run.status_code == 200
    listed = (await http.get("/checkpoints")).json()
    checkpoint = next(c for c in listed if c["as_of"] == "2020-10-31")
    assert checkpoint["under_target"] >= 1
    sheet = await http.get(checkpoint["ranking_xlsx"])
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert (await http.get(checkpoint["circular_docx"])).status_code == 200
    assert (await http.get("/checkpoints/2020-10-30/ranking.xlsx")).status_code == 404


async def test_campaign_clock_and_an_unreachable_ledger_service(http: httpx.AsyncClient) -> None:
    campaign = (await http.get("/dashboard/campaign")).json()
    assert campaign["today"] == "2020-11-15"
    assert campaign["days_left"] == 46
    assert campaign["day_number"] == 76
    assert (campaign["first_loan_rate_floor"], campaign["first_loan_rate_goal"]) == (0.3, 0.4)
    ledger = await http.get("/dashboard/ledger-status")
    assert ledger.status_code == 200
    assert ledger.json()["available"] is False
    assert "ledger service unavailable" in ledger.json()["message"]
