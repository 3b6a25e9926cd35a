"""Two cities' campaigns at once and a city's next campaign, over the real services: roster's
API for the lists, the banks' topics for the loans, assessment for the figures of each city
and of the province."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

import assessment.app
import roster.app
from assessment.settings import AssessmentSettings
from roster.settings import RosterSettings
from shared.access_testing import bearer_headers
from shared.bus import create_topics
from shared.contracts.bank import LoanIssued
from shared.contracts.types import Guarantee
from shared.service import Service
from shared.settings import ServiceSettings
from shared.testing import campaigns_dir, caught_up, eventually, publish_event, sample_uscc
from shared.topics import ROSTER_EVENTS, TopicSpec

pytestmark = pytest.mark.integration

WUTAI, BEILING = "140922", "149921"  # a county of Xinzhou's, one of Yunzhou's (fictional)
BANKS = ("icbc", "yzrcu")


def uscc(county: str, n: int) -> str:
    return sample_uscc(n, county, tag="CC")


@pytest.fixture
async def services(
    private_namespace: str, tmp_path: Path
) -> AsyncIterator[dict[str, Service[Any]]]:
    campaigns = campaigns_dir(tmp_path / "campaigns", "yunzhou-2020", "xinzhou-2021")
    common: dict[str, Any] = {
        "namespace": private_namespace,
        "campaigns": campaigns,
        "consumer_batch_timeout_ms": 50,
        "outbox_poll_seconds": 0.1,
    }
    await create_topics(
        ServiceSettings(service="test", namespace=private_namespace),
        [TopicSpec("bank.yzrcu.events")],
    )
    apps: dict[str, Service[Any]] = {
        "roster": roster.app.build(RosterSettings(**common, clock_date=date(2021, 12, 31))),
        "assessment": assessment.app.build(
            AssessmentSettings(**common, clock_date=date(2021, 12, 31), run_checkpoints=False)
        ),
    }
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.running())
        yield apps


def client(service: Service[Any], *scopes: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app),
        base_url="http://test",
        headers=bearer_headers(service.settings, *scopes),
    )


def nomination(who: str, county: str, on: str) -> dict[str, object]:
    return {
        "uscc": who,
        "name": "示例个体工商户",
        "county_code": county,
        "size_class": "individual",
        "source": "government",
        "nominated_by": "市场监管局",
        "nominated_on": on,
        "no_loan_in_5y_attested": True,
    }


async def lend(
    producer: AIOKafkaProducer, settings: ServiceSettings, bank: str, who: str, on: date, n: int
) -> None:
    await publish_event(
        producer,
        settings.topic(f"bank.{bank}.events"),
        LoanIssued(
            loan_id=f"{bank.upper()}-{n}",
            institution_id=bank,
            uscc=who,
            enterprise_name="示例",
            amount_wan=Decimal("20.00"),
            issued_on=on,
            first_loan_attested=True,
            guarantee=Guarantee.CREDIT,
        ),
        source=f"urn:firstloan:institution:{bank}",
        key=who,
    )


async def settled(apps: dict[str, Service[Any]]) -> bool:
    roster_app, assessment_app = apps["roster"], apps["assessment"]
    settings = assessment_app.settings
    if await roster_app.runtime.relay.pending():
        return False
    topics = [settings.topic(f"bank.{b}.events") for b in BANKS]
    return (
        await caught_up(
            settings.kafka_bootstrap,
            settings.topic("assessment.roster"),
            [settings.topic(ROSTER_EVENTS)],
        )
        and await caught_up(settings.kafka_bootstrap, settings.topic("assessment.bank"), topics)
        and await caught_up(settings.kafka_bootstrap, settings.topic("roster.bank"), topics)
    )


async def nominate(apps: dict[str, Service[Any]], who: str, county: str, on: str) -> httpx.Response:
    async with client(apps["roster"]) as http:
        return await http.post("/nominations", json=nomination(who, county, on))


def unit(attainment: dict[str, Any], unit_id: str) -> dict[str, Any]:
    return next(u for u in attainment["units"] if u["unit_id"] == unit_id)


async def test_two_cities_and_a_next_year_each_count_their_own(
    services: dict[str, Service[Any]], kafka_producer: AIOKafkaProducer
) -> None:
    settings = services["assessment"].settings
    xinzhou = [uscc(WUTAI, n) for n in range(1, 4)]
    yunzhou = [uscc(BEILING, n) for n in range(1, 3)]
    for who in xinzhou:
        assert (await nominate(services, who, WUTAI, "2020-09-08")).status_code == 201
    for who in yunzhou:
        assert (await nominate(services, who, BEILING, "2020-10-08")).status_code == 201
    # One bank network in both cities, and Yunzhou's own rural credit union.
    await lend(kafka_producer, settings, "icbc", xinzhou[0], date(2020, 10, 12), 1)
    await lend(kafka_producer, settings, "icbc", yunzhou[0], date(2020, 11, 2), 2)
    await lend(kafka_producer, settings, "yzrcu", yunzhou[1], date(2020, 11, 5), 3)
    await eventually(lambda: settled(services), what="the 2020 lists and loans to be counted")

    # Xinzhou's next campaign: the enterprise with a 2020 first loan is refused by the
    # 5-year rule, the one without is listed again, and a new one is listed.
    returning = await nominate(services, xinzhou[0], WUTAI, "2021-09-06")
    assert returning.status_code == 422, returning.text
    assert (await nominate(services, xinzhou[1], WUTAI, "2021-09-06")).status_code == 201
    newcomer = uscc(WUTAI, 9)
    assert (await nominate(services, newcomer, WUTAI, "2021-09-06")).status_code == 201
    await lend(kafka_producer, settings, "icbc", xinzhou[1], date(2021, 10, 8), 4)
    await eventually(lambda: settled(services), what="the 2021 list and loan to be counted")

    async with client(services["assessment"]) as http:

        async def figures(campaign: str, as_of: str, level: str = "county") -> dict[str, Any]:
            answer = await http.get(
                "/attainment", params={"campaign": campaign, "level": level, "as_of": as_of}
            )
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body

        x2020 = await figures("xinzhou-2020", "2020-12-01")
        y2020 = await figures("yunzhou-2020", "2020-12-01")
        x2021 = await figures("xinzhou-2021", "2021-12-31")
        assert (unit(x2020, WUTAI)["cultivated"], unit(x2020, WUTAI)["first_loans"]) == (3, 1)
        assert (unit(y2020, BEILING)["cultivated"], unit(y2020, BEILING)["first_loans"]) == (2, 2)
        assert {u["unit_id"] for u in y2020["units"]}.isdisjoint(
            {u["unit_id"] for u in x2020["units"]}
        )
        assert (unit(x2021, WUTAI)["cultivated"], unit(x2021, WUTAI)["first_loans"]) == (2, 1)
        icbc_x = unit(await figures("xinzhou-2020", "2020-12-01", "institution"), "icbc")
        icbc_y = unit(await figures("yunzhou-2020", "2020-12-01", "institution"), "icbc")
        assert (icbc_x["first_loans"], icbc_y["first_loans"]) == (1, 1)

        province = (await http.get("/province", params={"as_of": "2020-12-01"})).json()
        cities = {c["region"]["code"]: c for c in province["cities"]}
        assert set(cities) == {"1409", "1499"}
        assert cities["1409"]["campaign"]["id"] == "xinzhou-2020"
        for measure in ("cultivated", "first_loans"):
            assert province["totals"][measure] == sum(c[measure] for c in cities.values())
        icbc = next(i for i in province["institutions"] if i["institution_id"] == "icbc")
        assert icbc["first_loans"] == 2, "ICBC in Xinzhou and in Yunzhou, summed"

    async with client(services["assessment"], f"county:{WUTAI}") as county:
        own = await county.get(f"/dashboard/units/{WUTAI}", params={"campaign": "xinzhou-2020"})
        assert own.status_code == 200, own.text
        other = await county.get(f"/dashboard/units/{WUTAI}", params={"campaign": "yunzhou-2020"})
        assert other.status_code == 403, other.text
        escalations = await county.get("/escalations", params={"campaign": "yunzhou-2020"})
        assert escalations.status_code == 403, escalations.text
    async with client(services["assessment"], "province") as province_token:
        reads = await province_token.get("/province", params={"as_of": "2020-12-01"})
        assert reads.status_code == 200, reads.text
        writes = await province_token.post(
            "/assessments", params={"campaign": "yunzhou-2020"}, json={"as_of": "2020-12-01"}
        )
        assert writes.status_code == 403


async def test_every_service_lists_the_campaigns_with_their_status(
    services: dict[str, Service[Any]],
) -> None:
    for service in services.values():
        async with client(service, "county:149921") as http:
            answer = await http.get("/campaigns")
        assert answer.status_code == 200, answer.text
        listed = {c["id"]: c for c in answer.json()}
        assert list(listed) == ["xinzhou-2020", "yunzhou-2020", "xinzhou-2021"]
        assert listed["yunzhou-2020"]["region"] == {"code": "1499", "name": "云州市（示例）"}
        statuses = {key: c["status"] for key, c in listed.items()}
        assert statuses == {
            "xinzhou-2020": "ended",
            "yunzhou-2020": "ended",
            "xinzhou-2021": "running",  # the clock's 2021-12-31 is its last day
        }
        assert "149921" in listed["yunzhou-2020"]["counties"]
