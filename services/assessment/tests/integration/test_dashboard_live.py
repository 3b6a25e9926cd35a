"""The dashboard served for real (uvicorn on a loopback port): the live feed over
server-sent events, and the page in a headless Chromium, numbers and live updates."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from assessment.app import AssessmentService, build
from assessment.settings import AssessmentSettings
from shared.access_testing import supervisor_headers
from shared.contracts.assessment import EscalationReason, EscalationResolved
from shared.contracts.bank import LoanIssued
from shared.contracts.roster import EnterpriseAssigned, EnterpriseListed
from shared.contracts.types import Guarantee
from shared.service import Runtime
from shared.testing import eventually, publish_event, sample_uscc
from shared.topics import ASSESSMENT_ESCALATIONS, ROSTER_EVENTS

from ..browser import CHROMIUM, SCREENSHOTS, chromium_args, serving

pytestmark = pytest.mark.integration

TODAY = date(2020, 11, 15)
FUNNEL_STAGES = ("listed", "paired", "decided", "converted", "deciding", "unpaired", "first_loans")


def uscc(county: str, n: int) -> str:
    return sample_uscc(n, county, tag="LW")


def ledger_stub() -> FastAPI:
    """Stands in for the ledger service's status grid."""
    stub = FastAPI()

    @stub.get("/ledgers/status")
    async def status() -> dict[str, Any]:
        periods = ["2020-09", "2020-10", "2020-11", "2020-12"]
        units = [("140902", "忻府区", "county"), ("140981", "原平市", "county")]
        units += [
            ("icbc", "工商银行忻州分行", "institution"),
            ("xzrcu", "忻州市农村信用联社", "institution"),
        ]
        states = {"2020-09": "on_time", "2020-10": "late", "2020-11": "not_due"}
        cells = [
            {
                "unit_id": unit_id,
                "unit_name": name,
                "level": level,
                "period": period,
                "due_at": f"{period}-10T23:59:59+08:00",
                "ledger": "overdue"
                if (unit_id, period) == ("xzrcu", "2020-10")
                else states.get(period, "not_due"),
                "submitted_at": None,
                "special_report": "missing"
                if unit_id == "140981" and period == "2020-10"
                else "filed",
            }
            for unit_id, name, level in units
            for period in periods
        ]
        return {"as_of": "2020-11-15T12:00:00+08:00", "periods": periods, "cells": cells}

    return stub


@dataclass
class Served:
    service: AssessmentService
    url: str


@pytest.fixture
async def served(namespace: str, kafka_producer: AIOKafkaProducer) -> AsyncIterator[Served]:
    ledger = ledger_stub()
    async with serving(ledger) as ledger_url:
        settings = AssessmentSettings(
            namespace=namespace,
            consumer_batch_timeout_ms=50,
            outbox_poll_seconds=0.1,
            clock_date=TODAY,
            run_checkpoints=False,
            tick_seconds=0.5,
            ledger_url=ledger_url,
            dashboard_heartbeat_seconds=1.0,
        )
        service = build(settings)
        async with serving(service.app, service.feed) as url:
            served = Served(service, url)
            await feed_is_live(served, kafka_producer)
            yield served


class EventReader:
    """A client of /events/stream: collects the named events it receives."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.comments = 0
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    async def __aenter__(self) -> EventReader:
        self._task = asyncio.create_task(self._read())
        async with asyncio.timeout(10):
            await self._connected.wait()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _read(self) -> None:
        async with (
            httpx.AsyncClient(
                headers=supervisor_headers(), base_url=self.url, timeout=None
            ) as client,
            client.stream("GET", "/events/stream") as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            name, data = "message", ""
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    self.comments += 1
                    self._connected.set()
                elif line.startswith("event:"):
                    name = line.removeprefix("event:").strip()
                elif line.startswith("data:"):
                    data += line.removeprefix("data:").strip()
                elif line == "" and data:
                    await self.events.put((name, json.loads(data)))
                    name, data = "message", ""

    async def next_matching(self, wanted: Any, within: float = 30.0) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                name, data = await self.events.get()
                if wanted(name, data):
                    return data


async def feed_is_live(served: Served, producer: AIOKafkaProducer) -> None:
    """The feed reads from the end of the topics: wait until it has found that end, by
    publishing a probe until one arrives."""
    topic = served.service.runtime.settings.topic(ASSESSMENT_ESCALATIONS)
    async with EventReader(served.url) as reader:
        for attempt in range(40):
            probe = EscalationResolved(
                escalation_id=f"probe-{attempt}",
                unit_id="feed-probe",
                reason=EscalationReason.UNDER_TARGET,
                resolved_at="2020-11-15T12:00:00+08:00",
                as_of=TODAY,
                why="probe",
            )
            await publish_event(producer, topic, probe, source="urn:firstloan:test", key="probe")
            with contextlib.suppress(TimeoutError):
                await reader.next_matching(lambda _, d: d.get("unit_id") == "feed-probe", 0.5)
                return
    pytest.fail("the dashboard's feed never received a probe")


async def list_and_assign(
    producer: AIOKafkaProducer, runtime: Runtime, who: str, county: str, bank: str
) -> None:
    topic = runtime.settings.topic(ROSTER_EVENTS)
    listed = EnterpriseListed(
        uscc=who, name="看板企业", county_code=county, listed_on=date(2020, 9, 4)
    )
    assigned = EnterpriseAssigned(
        uscc=who, institution_id=bank, county_code=county, assigned_on=date(2020, 9, 4), way="match"
    )
    for event in (listed, assigned):
        await publish_event(producer, topic, event, source="urn:firstloan:roster", key=who)


async def lend(
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
            enterprise_name="看板企业",
            amount_wan=Decimal("120.00"),
            issued_on=on,
            first_loan_attested=attested,
            guarantee=Guarantee.CREDIT,
        ),
        source=f"urn:firstloan:institution:{bank}",
        key=who,
    )


async def test_the_feed_delivers_an_escalation_raised_after_the_client_connected(
    served: Served, kafka_producer: AIOKafkaProducer
) -> None:
    runtime = served.service.runtime
    async with EventReader(served.url) as reader:
        # Three first-loan claims of spdb that earlier loans of another bank contradict.
        for n in range(3):
            who = uscc("140928", n)
            await lend(
                kafka_producer, runtime, "jinshang", f"LV-OLD-{n}", who, date(2019, 3, 1), False
            )
            await lend(kafka_producer, runtime, "spdb", f"LV-CLAIM-{n}", who, date(2020, 10, 9))
        raised = await reader.next_matching(
            lambda name, d: (
                name == "escalation"
                and d["unit_id"] == "spdb"
                and d["reason"] == "data_falsification"
            )
        )
        assert raised["type"] == "EscalationRaised"
        assert raised["severity"] == "circular"
        assert raised["figures"] == {"anomalies": 3}
        assert len(raised["evidence"]) == 3
        # Heartbeats keep the connection alive while nothing happens.
        await eventually(lambda: _true(reader.comments >= 2), within=5, what="a heartbeat")
    feed = served.service.feed
    await eventually(lambda: _true(feed.subscribers == 0), within=10, what="the client to go")


async def _true(condition: bool) -> bool:
    return condition


async def seed_campaign(producer: AIOKafkaProducer, runtime: Runtime) -> None:
    """A few enterprises per county and bank, some with first loans, so the page has
    something to show."""
    # Counties and banks whose exact figures no other test of the session asserts.
    counties = ["140923", "140924", "140925", "140926", "140929", "140930"]
    banks = ["abc", "ccb", "xzrcu", "jinshang", "datong", "boc"]
    for c, county in enumerate(counties):
        for n in range(4 + c):
            who = uscc(county, 100 + n)
            bank = banks[(c + n) % len(banks)]
            await list_and_assign(producer, runtime, who, county, bank)
            if n % 2 == 0:
                await lend(
                    producer, runtime, bank, f"LW-{county}-{n}", who, date(2020, 9, 10 + 2 * n)
                )


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is absent: install Debian's chromium (deploy/bootstrap.sh does)",
)
@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="the playwright package is absent"
)
async def test_the_page_shows_the_apis_numbers_and_updates_live(
    served: Served, kafka_producer: AIOKafkaProducer, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    runtime = served.service.runtime
    await seed_campaign(kafka_producer, runtime)
    shenchi, bank = "140927", "jincheng"
    newcomer = uscc(shenchi, 900)
    await list_and_assign(kafka_producer, runtime, newcomer, shenchi, bank)
    async with httpx.AsyncClient(
        headers=supervisor_headers(), base_url=served.url, timeout=30
    ) as http:
        await http.post("/assessments", json={"as_of": "2020-09-30"})

        async def listed() -> bool:
            body = (await http.get(f"/dashboard/units/{shenchi}")).json()
            return any(e["uscc"] == newcomer for e in body["enterprises"])

        await eventually(listed, what="the seeded enterprises to be counted")
        counties = (await http.get("/attainment", params={"level": "county"})).json()
        before = next(u for u in counties["units"] if u["unit_id"] == shenchi)
        # A supervisor acknowledges one of 神池县's escalations: a step of its story.
        escalated = (await http.get(f"/dashboard/units/{shenchi}")).json()["escalations"]
        unacknowledged = [
            e for e in escalated if all(s["kind"] != "acknowledged" for s in e["story"])
        ]
        assert unacknowledged, escalated
        acknowledged = await http.post(
            f"/escalations/{unacknowledged[0]['escalation_id']}/acknowledgement",
            json={"note": "已收悉 noted"},
        )
        assert acknowledged.status_code == 201, acknowledged.text

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                **chromium_args(tmp_path / "profile")
            )
            # A supervisor signed in: the page sends the tab's token with every request.
            token = supervisor_headers()["Authorization"].removeprefix("Bearer ")
            await context.add_init_script(
                f"sessionStorage.setItem('firstloan.token', {json.dumps(token)})"
            )
            try:
                page = await context.new_page()
                await page.goto(served.url + "/")
                await page.wait_for_selector("body[data-ready=true]")
                await page.wait_for_selector("#live-status.on")
                citywide = counties["citywide"]
                assert await page.inner_text("#kpi-cultivated") == f"{citywide['cultivated']:,}"
                assert await page.inner_text("#kpi-first-loans") == f"{citywide['first_loans']:,}"
                assert await page.inner_text("#kpi-days-left") == "46"
                for unit in counties["units"]:
                    row = f'#county-table tr[data-unit="{unit["unit_id"]}"]'
                    shown = await page.inner_text(f'{row} td[data-field="first_loans"]')
                    assert shown == f"{unit['first_loans']:,}", unit["unit_id"]
                assert await page.locator("#ledger-grid td .mark.overdue").count() == 1
                assert await page.locator("#checkpoints table.checkpoint").count() >= 1
                forecast = before["forecast"]
                assert forecast is not None, before
                shown = await page.inner_text(
                    f'#county-table tr[data-unit="{shenchi}"] td[data-field="forecast"]'
                )
                assert (
                    shown
                    == f"{forecast['first_loans']:,} ({forecast['low']:,}–{forecast['high']:,})"
                )
                await page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)

                # Sorting by a header reorders the rows (numbers: largest first).
                await page.click("#county-table th:nth-child(6)")
                first_row = await page.get_attribute("#county-table tbody tr", "data-unit")
                most = max(counties["units"], key=lambda u: u["first_loans"])["first_loans"]
                top = next(u for u in counties["units"] if u["unit_id"] == first_row)
                assert top["first_loans"] == most

                # A bank's first loan changes 神池县: the row follows without a reload.
                await page.evaluate("window.notReloaded = true")
                await lend(kafka_producer, runtime, bank, "LW-LIVE-1", newcomer, date(2020, 11, 2))
                cell = f'#county-table tr[data-unit="{shenchi}"] td[data-field="first_loans"]'
                await page.wait_for_function(
                    f"document.querySelector('{cell}')?.textContent === "
                    f"'{before['first_loans'] + 1}'",
                    timeout=30_000,
                )
                assert await page.evaluate("window.notReloaded") is True
                await page.wait_for_timeout(600)
                await page.screenshot(path=SCREENSHOTS / "dashboard-live.png", full_page=True)

                await page.goto(f"{served.url}/units/{shenchi}")
                await page.wait_for_selector("body[data-ready=true]")
                assert await page.inner_text("#unit-first-loans") == str(before["first_loans"] + 1)
                assert await page.locator(f'#enterprise-table tr[data-unit="{newcomer}"]').count()
                now = (await http.get("/attainment", params={"level": "county"})).json()
                forecast = next(u for u in now["units"] if u["unit_id"] == shenchi)["forecast"]
                assert await page.inner_text("#unit-forecast") == f"{forecast['first_loans']:,}"
                assert await page.inner_text("#unit-forecast-note") == (
                    f"区间 Interval {forecast['low']:,}–{forecast['high']:,}"
                )
                # Beside it, what the forecast rests on: the unit's funnel and the city's.
                basis = forecast["basis"]
                for stage, of in itertools.product(FUNNEL_STAGES, ("unit", "city")):
                    cell = f'#forecast-basis tr[data-stage="{stage}"] td[data-of="{of}"]'
                    shown = (await page.inner_text(cell)).split(" ")[0]
                    funnel = basis["funnel" if of == "unit" else "city"]
                    assert shown == f"{funnel[stage]:,}", (stage, of)
                for field in ("conversion", "city_conversion"):
                    shown = await page.inner_text(f"#basis-{field.replace('_', '-')}")
                    assert shown == f"{basis[field] * 100:.1f}%", field
                detail = (await http.get(f"/dashboard/units/{shenchi}")).json()
                rows = page.locator("#escalation-table tbody tr")
                assert await rows.count() == len(detail["escalations"])
                for index, escalation in enumerate(detail["escalations"]):
                    steps = rows.nth(index).locator("ol.story li")
                    kinds = [
                        await steps.nth(i).get_attribute("data-kind")
                        for i in range(await steps.count())
                    ]
                    assert kinds == [s["kind"] for s in escalation["story"]], escalation
                note = page.locator("#escalation-table ol.story li[data-kind=acknowledged]")
                assert "已收悉 noted" in await note.first.inner_text()
                await page.screenshot(path=SCREENSHOTS / "unit.png", full_page=True)
            finally:
                await context.close()
