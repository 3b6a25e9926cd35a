"""A campaign across services over the real broker: nominations through roster's API, a
bank's loan through its topic and the shared intake, attainment out of assessment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

import assessment.app
import roster.app
from assessment.settings import AssessmentSettings
from roster.settings import RosterSettings
from shared.access_testing import supervisor_client
from shared.contracts.bank import LoanIssued
from shared.contracts.types import Guarantee
from shared.service import Service
from shared.testing import caught_up, eventually, publish_event, sample_uscc
from shared.topics import ROSTER_EVENTS

pytestmark = pytest.mark.integration


def uscc(n: int) -> str:
    return sample_uscc(n, "140922", head="92")


@pytest.fixture
async def services(namespace: str) -> AsyncIterator[dict[str, Service[Any]]]:
    apps: dict[str, Service[Any]] = {
        "roster": roster.app.build(
            RosterSettings(
                namespace=namespace, consumer_batch_timeout_ms=50, outbox_poll_seconds=0.1
            )
        ),
        "assessment": assessment.app.build(
            AssessmentSettings(
                namespace=namespace,
                consumer_batch_timeout_ms=50,
                outbox_poll_seconds=0.1,
                clock_date=date(2020, 12, 1),
                run_checkpoints=False,
            )
        ),
    }
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.running())
        yield apps


def nomination(who: str, **extra: object) -> dict[str, object]:
    return {
        "uscc": who,
        "name": "五台县示例个体工商户",
        "county_code": "140922",
        "size_class": "individual",
        "source": "government",
        "nominated_by": "五台县市场监管局",
        "nominated_on": "2020-09-08",
        "no_loan_in_5y_attested": True,
        **extra,
    }


async def test_nominated_enterprises_and_a_first_loan_reach_attainment(
    services: dict[str, Service[Any]], kafka_producer: AIOKafkaProducer
) -> None:
    roster_app, assessment_app = services["roster"], services["assessment"]
    settings = assessment_app.runtime.settings
    first, second = uscc(1), uscc(2)
    async with supervisor_client(roster_app) as http:
        listed = await http.post("/nominations", json=nomination(first))
        assert listed.status_code == 201, listed.text
        assert listed.json()["status"] == "listed"
        by_bank = await http.post(
            "/nominations",
            json=nomination(
                second, source="bank", nominated_by="邮储银行忻州市分行", institution_id="psbc"
            ),
        )
        assert by_bank.status_code == 201, by_bank.text
        rejected = await http.post("/nominations", json=nomination(uscc(3)[:-1] + "0"))
        assert rejected.status_code == 422

    await publish_event(
        kafka_producer,
        settings.topic("bank.psbc.events"),
        LoanIssued(
            loan_id="PSBC-1",
            institution_id="psbc",
            uscc=second,
            enterprise_name="示例",
            amount_wan=Decimal("30.00"),
            issued_on=date(2020, 10, 12),
            first_loan_attested=True,
            guarantee=Guarantee.GOVERNMENT_GUARANTEE,
        ),
        source="urn:firstloan:institution:psbc",
        key=second,
    )

    async def assessed() -> bool:
        done = await caught_up(
            settings.kafka_bootstrap,
            settings.topic("assessment.roster"),
            [settings.topic(ROSTER_EVENTS)],
        )
        return done and await caught_up(
            settings.kafka_bootstrap,
            settings.topic("assessment.bank"),
            [settings.topic("bank.psbc.events")],
        )

    await eventually(lambda: roster_drained(roster_app), what="roster's outbox to drain")
    await eventually(assessed, what="assessment to take roster's and the bank's events")
    async with supervisor_client(assessment_app) as http:
        counties = (await http.get("/attainment", params={"level": "county"})).json()
        wutai = next(u for u in counties["units"] if u["unit_id"] == "140922")
        assert (wutai["cultivated"], wutai["first_loans"]) == (2, 1)
        banks = (await http.get("/attainment", params={"level": "institution"})).json()
        psbc = next(u for u in banks["units"] if u["unit_id"] == "psbc")
        assert (psbc["cultivated"], psbc["first_loans"]) == (1, 1)
    roster_group = roster_app.runtime.settings.topic("roster.bank")
    await eventually(
        lambda: caught_up(
            settings.kafka_bootstrap, roster_group, [settings.topic("bank.psbc.events")]
        ),
        what="roster to learn of the loan",
    )
    async with supervisor_client(roster_app) as http:
        file = (await http.get(f"/enterprises/{second}")).json()
    assert "PSBC-1" in str(file)


async def roster_drained(app: Service[Any]) -> bool:
    runtime = app.runtime
    return await runtime.relay.pending() == 0
