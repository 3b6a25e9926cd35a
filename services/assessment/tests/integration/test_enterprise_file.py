"""One enterprise's file across campaigns (一企一档), over the real broker and database and in
a browser: an enterprise listed in Xinzhou's 2020 campaign gets its first loan there, is
delisted, and is listed again in Xinzhou's 2021 campaign, where another bank's first-loan
claim is refused by the 5-year look-back (an anomaly of 2021). The file shows both
campaigns, each with its own outcome; a city's, a county's and a bank's tokens read what is
theirs and nothing of another city."""

from __future__ import annotations

import importlib.util
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

from assessment.app import AssessmentService, build
from assessment.dashboard.enterprise_file import ListingPeriod, listing_periods
from assessment.domain.facts import ListingChange
from assessment.settings import AssessmentSettings
from shared.access_testing import bearer_headers
from shared.contracts import EventData
from shared.contracts.bank import LoanIssued
from shared.contracts.matchmaking import Channel, EnterpriseMatched
from shared.contracts.roster import (
    DelistReason,
    EnterpriseAssigned,
    EnterpriseDelisted,
    EnterpriseListed,
)
from shared.contracts.types import Guarantee
from shared.testing import campaigns_dir, eventually, publish_event, sample_uscc
from shared.topics import MATCHMAKING_EVENTS, ROSTER_EVENTS

from ..browser import CHROMIUM, SCREENSHOTS, chromium_args, serving

pytestmark = pytest.mark.integration

TODAY = date(2021, 11, 15)  # Xinzhou's 2021 campaign runs; its 2020 one has ended
XINFU, YUANPING, DINGXIANG, YUNZHONG = "140902", "140981", "140921", "149902"
RETURNING = sample_uscc(1, XINFU, tag="EF")  # Xinzhou 2020, then Xinzhou 2021
ELSEWHERE = sample_uscc(2, YUNZHONG, tag="EF")  # Yunzhou 2020 only
UNKNOWN = sample_uscc(3, XINFU, tag="EF")


def events() -> list[tuple[str, EventData, str]]:
    """(topic, data, source) of the scenario."""
    roster, matchmaking = "urn:firstloan:roster", "urn:firstloan:matchmaking"
    return [
        (
            ROSTER_EVENTS,
            EnterpriseListed(
                campaign_id="xinzhou-2020",
                uscc=RETURNING,
                name="档案测试企业",
                county_code=XINFU,
                listed_on=date(2020, 9, 5),
            ),
            roster,
        ),
        (
            ROSTER_EVENTS,
            EnterpriseAssigned(
                campaign_id="xinzhou-2020",
                uscc=RETURNING,
                institution_id="icbc",
                county_code=XINFU,
                assigned_on=date(2020, 9, 6),
                way="explicit",
            ),
            roster,
        ),
        (
            MATCHMAKING_EVENTS,
            EnterpriseMatched(
                match_id="EF-MATCH-1",
                uscc=RETURNING,
                institution_id="icbc",
                county_code=XINFU,
                matched_on=date(2020, 9, 20),
                channel=Channel.ONE_ON_ONE,
            ),
            matchmaking,
        ),
        ("bank.icbc.events", loan("icbc", "EF-2020", date(2020, 10, 8)), "icbc"),
        (
            ROSTER_EVENTS,
            EnterpriseDelisted(
                campaign_id="xinzhou-2020",
                uscc=RETURNING,
                county_code=XINFU,
                on=date(2020, 12, 15),
                reason=DelistReason.FIRST_LOAN_OBTAINED,
            ),
            roster,
        ),
        (
            ROSTER_EVENTS,
            EnterpriseListed(
                campaign_id="xinzhou-2021",
                uscc=RETURNING,
                name="档案测试企业",
                county_code=YUANPING,
                listed_on=date(2021, 9, 5),
            ),
            roster,
        ),
        (
            ROSTER_EVENTS,
            EnterpriseAssigned(
                campaign_id="xinzhou-2021",
                uscc=RETURNING,
                institution_id="ccb",
                county_code=YUANPING,
                assigned_on=date(2021, 9, 6),
                way="explicit",
            ),
            roster,
        ),
        # A first-loan claim the 2020 loan contradicts (within 5 years): an anomaly of 2021.
        ("bank.ccb.events", loan("ccb", "EF-2021", date(2021, 10, 10)), "ccb"),
        (
            ROSTER_EVENTS,
            EnterpriseListed(
                campaign_id="yunzhou-2020",
                uscc=ELSEWHERE,
                name="云州档案企业",
                county_code=YUNZHONG,
                listed_on=date(2020, 10, 5),
            ),
            roster,
        ),
    ]


def loan(bank: str, loan_id: str, on: date) -> LoanIssued:
    return LoanIssued(
        loan_id=loan_id,
        institution_id=bank,
        uscc=RETURNING,
        enterprise_name="档案测试企业",
        amount_wan=Decimal("50.00"),
        issued_on=on,
        first_loan_attested=True,
        guarantee=Guarantee.CREDIT,
    )


@dataclass
class Served:
    service: AssessmentService
    url: str

    def client(self, *scopes: str) -> httpx.AsyncClient:
        headers = bearer_headers(self.service.settings, *scopes)
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
async def served(
    private_namespace: str,
    kafka_producer: AIOKafkaProducer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Served]:
    tmp_path = tmp_path_factory.mktemp("enterprise-file")
    settings = AssessmentSettings(
        namespace=private_namespace,
        campaigns=campaigns_dir(tmp_path / "c", "yunzhou-2020", "xinzhou-2021"),
        clock_date=TODAY,
        run_checkpoints=False,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        tick_seconds=0.5,
    )
    service = build(settings)
    async with serving(service.app, service.feed) as url:
        for topic, data, source in events():
            who = str(data.model_dump()["uscc"])
            origin = f"urn:firstloan:institution:{source}" if topic.startswith("bank.") else source
            await publish_event(kafka_producer, settings.topic(topic), data, source=origin, key=who)
        found = Served(service, url)
        async with found.client() as http:

            async def everything_taken() -> bool:
                response = await http.get(f"/dashboard/enterprises/{RETURNING}")
                if response.status_code != 200:
                    return False
                body = response.json()
                parts = body["campaigns"]
                return (
                    len(body["loans"]) == 2
                    and len(body["pairings"]) == 1
                    and [len(p["institutions"]) for p in parts] == [1, 1]
                    and parts[0]["listings"][0]["delisted_on"] is not None
                    and (await http.get(f"/dashboard/enterprises/{ELSEWHERE}")).status_code == 200
                )

            await eventually(everything_taken, within=60, what="every event of the scenario")
        yield found


def loan_out(bank: str, loan_id: str, on: str) -> dict[str, Any]:
    return {
        "institution_id": bank,
        "loan_id": loan_id,
        "issued_on": on,
        "amount_wan": "50.00",
        "first_loan_attested": True,
    }


async def test_the_file_shows_each_campaign_with_its_own_outcome(served: Served) -> None:
    async with served.client("central") as http:
        response = await http.get(f"/dashboard/enterprises/{RETURNING}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["uscc"] == RETURNING
    assert body["as_of"] == TODAY.isoformat()
    first, second = body["campaigns"]
    assert first["campaign"] == {
        "id": "xinzhou-2020",
        "name": first["campaign"]["name"],
        "region": {"code": "1409", "name": "忻州市"},
        "start": "2020-09-01",
        "end": "2020-12-31",
        "status": "ended",
    }
    assert first["listings"] == [
        {
            "county_code": XINFU,
            "county_name": "忻府区",
            "listed_on": "2020-09-05",
            "delisted_on": "2020-12-15",
        }
    ]
    assert first["listed_in"] is None
    assert [(a["institution_id"], a["assigned_on"]) for a in first["institutions"]] == [
        ("icbc", "2020-09-06")
    ]
    assert first["first_loan"] == loan_out("icbc", "EF-2020", "2020-10-08") | {"county_code": XINFU}
    assert first["anomalies"] == []

    assert second["campaign"]["id"] == "xinzhou-2021"
    assert second["campaign"]["status"] == "running"
    assert second["listings"] == [
        {
            "county_code": YUANPING,
            "county_name": "原平市",
            "listed_on": "2021-09-05",
            "delisted_on": None,
        }
    ]
    assert second["listed_in"] == YUANPING
    assert [a["institution_id"] for a in second["institutions"]] == ["ccb"]
    assert second["first_loan"] is None
    assert second["anomalies"] == [
        {
            "claim": loan_out("ccb", "EF-2021", "2021-10-10"),
            "evidence": [loan_out("icbc", "EF-2020", "2020-10-08")],
        }
    ]

    assert [
        (f["loan_id"], f["counted_in"], f["anomaly_in"], f["reversed_on"]) for f in body["loans"]
    ] == [("EF-2020", ["xinzhou-2020"], None, None), ("EF-2021", [], "xinzhou-2021", None)]
    assert body["reversals"] == []
    assert body["pairings"] == [{"institution_id": "icbc", "matched_on": "2020-09-20"}]


async def test_the_file_agrees_with_the_campaigns_own_figures(served: Served) -> None:
    async with served.client("central") as http:

        async def counted() -> bool:
            found = await http.get("/anomalies", params={"campaign": "xinzhou-2021"})
            return any(a["uscc"] == RETURNING for a in found.json())

        await eventually(counted, what="the 2021 anomaly to be counted")
        anomalies = (await http.get("/anomalies", params={"campaign": "xinzhou-2021"})).json()
        assert [a["claim"]["loan_id"] for a in anomalies if a["uscc"] == RETURNING] == ["EF-2021"]
        earlier = (await http.get("/anomalies", params={"campaign": "xinzhou-2020"})).json()
        assert [a for a in earlier if a["uscc"] == RETURNING] == []
        unit = await http.get(f"/dashboard/units/{XINFU}", params={"campaign": "xinzhou-2020"})
        [row] = [e for e in unit.json()["enterprises"] if e["uscc"] == RETURNING]
        assert row["first_loan"]["loan_id"] == "EF-2020"


def test_listing_periods_read_the_list_as_the_rules_do() -> None:
    def change(on: date, listed: bool, county: str = XINFU) -> ListingChange:
        return ListingChange(RETURNING, on, listed, county, "xinzhou-2020")

    d = [date(2020, 9, n) for n in range(1, 8)]
    changes = [
        change(d[0], True),
        # Listed again in the same county: the same period goes on.
        change(d[1], True),
        # Moved: one period ends the day the next begins.
        change(d[2], True, YUANPING),
        # Delisted and re-listed the same day: the listing wins, the period goes on.
        change(d[3], False, YUANPING),
        change(d[3], True, YUANPING),
        change(d[4], False, YUANPING),
        change(d[6], True),
    ]
    assert listing_periods(changes) == (
        ListingPeriod(XINFU, d[0], d[2]),
        ListingPeriod(YUANPING, d[2], d[4]),
        ListingPeriod(XINFU, d[6], None),
    )
    assert listing_periods([change(d[0], False)]) == ()


async def file_of(served: Served, uscc: str, *scopes: str, **params: str) -> httpx.Response:
    async with served.client(*scopes) as http:
        return await http.get(f"/dashboard/enterprises/{uscc}", params=params)


def campaigns_in(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [p["campaign"]["id"] for p in response.json()["campaigns"]]


async def test_each_token_reads_what_is_its_own(served: Served) -> None:
    both = ["xinzhou-2020", "xinzhou-2021"]
    assert campaigns_in(await file_of(served, RETURNING, "province")) == both
    assert campaigns_in(await file_of(served, RETURNING, "central:1409")) == both
    assert campaigns_in(await file_of(served, ELSEWHERE, "central")) == ["yunzhou-2020"]
    # A city's supervisors: nothing of an enterprise of the other city only.
    refused = await file_of(served, RETURNING, "central:1499")
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"][0]["field"] == "uscc"
    assert (await file_of(served, ELSEWHERE, "central:1409")).status_code == 403
    # A county sub-branch reads an enterprise ever listed in its county, as its county.
    for county in (XINFU, YUANPING):
        own = await file_of(served, RETURNING, f"county:{county}", county_code=county)
        assert campaigns_in(own) == both
    assert (await file_of(served, RETURNING, f"county:{XINFU}")).status_code == 403
    other = await file_of(served, RETURNING, f"county:{XINFU}", county_code=YUANPING)
    assert other.status_code == 403
    never = await file_of(served, RETURNING, f"county:{DINGXIANG}", county_code=DINGXIANG)
    assert never.status_code == 404, never.text
    assert never.json()["detail"][0]["field"] == "county_code"
    yunzhou = await file_of(served, ELSEWHERE, f"county:{XINFU}", county_code=XINFU)
    assert yunzhou.status_code == 404
    # A bank reads an enterprise assigned to it, or one it lent to.
    assert (
        campaigns_in(await file_of(served, RETURNING, "institution:icbc", institution_id="icbc"))
        == both
    )
    assert (
        campaigns_in(await file_of(served, RETURNING, "institution:ccb", institution_id="ccb"))
        == both
    )
    stranger = await file_of(served, RETURNING, "institution:spdb", institution_id="spdb")
    assert stranger.status_code == 404, stranger.text
    # Nothing known: 404 naming the enterprise.
    unknown = await file_of(served, UNKNOWN, "central")
    assert unknown.status_code == 404
    assert unknown.json()["detail"][0]["field"] == "uscc"
    assert UNKNOWN in unknown.json()["detail"][0]["message"]


async def signed_in(context: Any, headers: dict[str, str]) -> None:
    """The tab's token, as the sign-in dialog would have stored it."""
    token = headers["Authorization"].removeprefix("Bearer ")
    await context.add_init_script(f"sessionStorage.setItem('firstloan.token', {json.dumps(token)})")


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is absent: install Debian's chromium (deploy/bootstrap.sh does)",
)
@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="the playwright package is absent"
)
async def test_the_page_shows_both_campaigns_blocks(served: Served, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    async with served.client("central") as http:

        async def on_the_unit_page() -> bool:
            unit = await http.get(f"/dashboard/units/{XINFU}", params={"campaign": "xinzhou-2020"})
            return any(e["uscc"] == RETURNING for e in unit.json()["enterprises"])

        await eventually(on_the_unit_page, what="the 2020 outcome to be stored")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            **chromium_args(tmp_path / "profile")
        )
        try:
            await signed_in(context, bearer_headers(served.service.settings, "central"))
            page = await context.new_page()
            # From the unit page's enterprise list, the USCC leads to the enterprise's file.
            await page.goto(f"{served.url}/units/{XINFU}?campaign=xinzhou-2020")
            await page.wait_for_selector("body[data-ready=true]")
            await page.click(f'#enterprise-table tr[data-unit="{RETURNING}"] a')
            await page.wait_for_url(f"{served.url}/enterprises/{RETURNING}")
            await page.wait_for_selector("body[data-ready=true]")

            blocks = page.locator("section.campaign-part")
            assert [
                await blocks.nth(i).get_attribute("data-campaign")
                for i in range(await blocks.count())
            ] == ["xinzhou-2020", "xinzhou-2021"]
            earlier = 'section.campaign-part[data-campaign="xinzhou-2020"]'
            later = 'section.campaign-part[data-campaign="xinzhou-2021"]'
            shown = await page.inner_text(f'{earlier} td[data-field="first-loan"]')
            assert "EF-2020" in shown, shown
            assert "2020-10-08" in shown, shown
            assert await page.inner_text(f'{earlier} td[data-field="anomalies"]') == "0"
            banks = page.locator(f'{earlier} td[data-field="institutions"] a')
            assert await banks.count() == 1
            assert await banks.get_attribute("href") == "/units/icbc?campaign=xinzhou-2020"
            assert "2020-09-06" in await page.inner_text(f'{earlier} td[data-field="institutions"]')
            listings = await page.inner_text(f'{earlier} td[data-field="listings"]')
            assert "2020-09-05" in listings, listings
            assert "2020-12-15" in listings, listings
            assert (
                await page.locator(f'{later} td[data-field="first-loan"] .first-loan-none').count()
                == 1
            )
            anomalies = f'{later} td[data-field="anomalies"]'
            assert await page.inner_text(f"{anomalies} .count-badge") == "1"
            claim = await page.inner_text(f'{anomalies} li[data-loan="EF-2021"]')
            assert "EF-2020" in claim, claim
            assert await page.inner_text("#kpi-campaigns") == "2"
            assert await page.inner_text("#kpi-anomalies") == "1"
            counted = 'td[data-field="counted"]'
            row = f'#fact-table tr[data-unit="loan:icbc:EF-2020"] {counted}'
            assert "首贷" in await page.inner_text(row)
            row = f'#fact-table tr[data-unit="loan:ccb:EF-2021"] {counted}'
            assert "异常" in await page.inner_text(row)
            assert await page.locator('#fact-table tr[data-unit^="pairing:icbc"]').count() == 1
            await page.screenshot(path=SCREENSHOTS / "enterprise.png", full_page=True)

            # A county sub-branch's token: the page reads the file as that county.
            await signed_in(context, bearer_headers(served.service.settings, f"county:{YUANPING}"))
            county = await context.new_page()
            await county.goto(f"{served.url}/enterprises/{RETURNING}")
            await county.wait_for_selector("body[data-ready=true]")
            assert await county.locator("section.campaign-part").count() == 2
        finally:
            await context.close()
