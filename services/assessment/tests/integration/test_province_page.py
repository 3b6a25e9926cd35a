"""The province's page and the campaign picker, in a browser: two cities' campaigns at once,
each city's row the API's figures, the totals their sum, a trend chart per city; the city
dashboard shows the campaign picked."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from assessment.app import AssessmentService, build
from assessment.settings import AssessmentSettings
from shared.access_testing import bearer_headers
from shared.bus import create_topics
from shared.contracts.bank import LoanIssued
from shared.contracts.roster import EnterpriseListed
from shared.contracts.types import Guarantee
from shared.testing import campaigns_dir, eventually, publish_event, sample_uscc
from shared.topics import ROSTER_EVENTS, TopicSpec

from ..browser import SCREENSHOTS, chromium_args, in_the_browser, serving

pytestmark = [pytest.mark.integration, *in_the_browser]

TODAY = date(2020, 11, 15)
# (county, campaign, bank): two counties of Xinzhou's, two of the fictional Yunzhou's.
PLACES = (
    ("140921", "xinzhou-2020", "icbc"),
    ("140931", "xinzhou-2020", "xzrcu"),
    ("149902", "yunzhou-2020", "icbc"),
    ("149922", "yunzhou-2020", "yzrcu"),
)


@pytest.fixture
async def served(
    private_namespace: str, tmp_path: Path
) -> AsyncIterator[tuple[AssessmentService, str]]:
    settings = AssessmentSettings(
        namespace=private_namespace,
        campaigns=campaigns_dir(tmp_path / "campaigns", "yunzhou-2020"),
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        clock_date=TODAY,
        run_checkpoints=False,
        tick_seconds=0.5,
    )
    await create_topics(settings, [TopicSpec("bank.yzrcu.events")])
    service = build(settings)
    async with serving(service.app, service.feed) as url:
        yield service, url


async def seed(producer: AIOKafkaProducer, service: AssessmentService) -> int:
    """Enterprises listed in each place, half of them lent to; returns how many loans."""
    settings = service.settings
    loans = 0
    for p, (county, campaign, bank) in enumerate(PLACES):
        for n in range(3 + p):
            who = sample_uscc(700 + n, county, tag="PW")
            listed = EnterpriseListed(
                campaign_id=campaign,
                uscc=who,
                name="全省看板企业",
                county_code=county,
                listed_on=date(2020, 10, 9),
            )
            topic = settings.topic(ROSTER_EVENTS)
            await publish_event(producer, topic, listed, source="urn:firstloan:roster", key=who)
            if n % 2:
                continue
            loans += 1
            loan = LoanIssued(
                loan_id=f"PV-{county}-{n}",
                institution_id=bank,
                uscc=who,
                enterprise_name="全省看板企业",
                amount_wan=Decimal("50.00"),
                issued_on=date(2020, 10, 20 + n),
                first_loan_attested=True,
                guarantee=Guarantee.CREDIT,
            )
            bank_topic = settings.topic(f"bank.{bank}.events")
            source = f"urn:firstloan:institution:{bank}"
            await publish_event(producer, bank_topic, loan, source=source, key=who)
    return loans


async def test_the_province_page_shows_every_city_and_the_picker_its_campaign(
    served: tuple[AssessmentService, str], kafka_producer: AIOKafkaProducer, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    service, url = served
    loans = await seed(kafka_producer, service)
    province_headers = bearer_headers(service.settings, "province")
    async with httpx.AsyncClient(headers=province_headers, base_url=url, timeout=30) as http:

        async def counted() -> bool:
            body = (await http.get("/province")).json()
            return int(body["totals"]["first_loans"]) == loans

        await eventually(counted, what="every city's loans to be counted")
        province: dict[str, Any] = (await http.get("/province")).json()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            **chromium_args(tmp_path / "profile")
        )
        try:
            page = await context.new_page()
            await signed_in(context, province_headers)
            await page.goto(url + "/cities")
            await page.wait_for_selector("body[data-ready=true]")
            for city in province["cities"]:
                row = f'#city-table tr[data-unit="{city["region"]["code"]}"]'
                shown = await page.inner_text(f'{row} td[data-field="first_loans"]')
                assert shown == f"{city['first_loans']:,}", city["region"]
            totals = await page.inner_text("#city-table tfoot tr.totals")
            assert f"{province['totals']['first_loans']:,}" in totals
            assert await page.inner_text("#kpi-first-loans") == f"{loans:,}"
            assert await page.locator("#city-trends figure.city-trend svg").count() == 2
            icbc = '#institution-table tr[data-unit="icbc"] td[data-field="first_loans"]'
            icbc_total = next(i for i in province["institutions"] if i["institution_id"] == "icbc")
            assert await page.inner_text(icbc) == f"{icbc_total['first_loans']:,}"
            await page.screenshot(path=SCREENSHOTS / "province.png", full_page=True)

            # A supervisor's city dashboard for the second city, picked by the address.
            central = await context.new_page()
            await signed_in(context, bearer_headers(service.settings, "central"))
            await central.goto(url + "/?campaign=yunzhou-2020")
            await central.wait_for_selector("body[data-ready=true]")
            assert await central.input_value("#campaign-picker") == "yunzhou-2020"
            assert await central.locator('#county-table tr[data-unit="149902"]').count() == 1
            assert await central.locator('#county-table tr[data-unit="140921"]').count() == 0
            await central.screenshot(path=SCREENSHOTS / "dashboard-yunzhou.png", full_page=True)
        finally:
            await context.close()


async def signed_in(context: Any, headers: dict[str, str]) -> None:
    """The tab's token, as the sign-in dialog would have stored it."""
    token = headers["Authorization"].removeprefix("Bearer ")
    await context.add_init_script(f"sessionStorage.setItem('firstloan.token', {json.dumps(token)})")
