"""All four services over the real broker: a nominated enterprise is paired at matchmaking,
which assigns it in roster; its bank grants credit and lends; the month's work ledger shows
the pairing with its outcome and is submitted; assessment counts the institution's
cultivated household and first loan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

import assessment.app
import ledger.app
import matchmaking.app
import roster.app
from assessment.settings import AssessmentSettings
from ledger.settings import LedgerSettings
from matchmaking.settings import MatchmakingSettings
from roster.settings import RosterSettings
from shared.access_testing import supervisor_client
from shared.contracts.bank import CreditGranted, LoanIssued
from shared.contracts.types import Guarantee
from shared.service import Service
from shared.testing import eventually, publish_event, services_caught_up
from shared.validators import uscc_check_character

pytestmark = pytest.mark.integration

TODAY = date(2020, 11, 5)  # October has ended; its ledger may be submitted
BANK, COUNTY, NAME = "spdb", "140928", "五寨县四方源农业科技有限公司"
USCC = "91140928MA0KFY001" + uscc_check_character("91140928MA0KFY001")


@pytest.fixture
async def apps(namespace: str) -> AsyncIterator[dict[str, Service[Any]]]:
    fast: dict[str, Any] = {
        "namespace": namespace,
        "consumer_batch_timeout_ms": 50,
        "outbox_poll_seconds": 0.1,
        "clock_date": TODAY,
    }
    built: dict[str, Service[Any]] = {
        "roster": roster.app.build(RosterSettings.model_validate(fast)),
        "matchmaking": matchmaking.app.build(MatchmakingSettings.model_validate(fast)),
        "ledger": ledger.app.build(LedgerSettings.model_validate(fast)),
        "assessment": assessment.app.build(
            AssessmentSettings.model_validate({**fast, "run_checkpoints": False})
        ),
    }
    async with AsyncExitStack() as stack:
        for app in built.values():
            await stack.enter_async_context(app.running())
        yield built


async def institution_figures(app: Service[Any]) -> dict[str, Any]:
    async with supervisor_client(app) as http:
        body = (await http.get("/attainment", params={"level": "institution"})).json()
    return next(u for u in body["units"] if u["unit_id"] == BANK)


async def test_a_pairing_becomes_a_ledger_row_and_a_first_loan(
    apps: dict[str, Service[Any]], kafka_producer: AIOKafkaProducer
) -> None:
    before = await institution_figures(apps["assessment"])

    async with supervisor_client(apps["roster"]) as http:
        nominated = await http.post(
            "/nominations",
            json={
                "uscc": USCC,
                "name": NAME,
                "county_code": COUNTY,
                "size_class": "small",
                "source": "government",
                "nominated_by": "五寨县发改局",
                "nominated_on": "2020-09-09",
                "no_loan_in_5y_attested": True,
            },
        )
        assert nominated.status_code == 201, nominated.text
    await eventually(
        lambda: services_caught_up(apps.values(), f"bank.{BANK}.events"),
        what="the listing to reach everyone",
    )

    async with supervisor_client(apps["matchmaking"]) as http:
        matched = await http.post(
            "/matches",
            json={
                "uscc": USCC,
                "institution_id": BANK,
                "matched_on": "2020-10-05",
                "channel": "service_center",
            },
        )
        assert matched.status_code == 201, matched.text
        match_id = matched.json()["match_id"]

    bank_topic = apps["roster"].settings.topic(f"bank.{BANK}.events")
    source = f"urn:firstloan:institution:{BANK}"
    await publish_event(
        kafka_producer,
        bank_topic,
        CreditGranted(
            credit_id="SPDB-C-1",
            institution_id=BANK,
            uscc=USCC,
            enterprise_name=NAME,
            amount_wan=Decimal("80.00"),
            granted_on=date(2020, 10, 12),
            applied_on=date(2020, 10, 6),
            guarantee=Guarantee.GOVERNMENT_GUARANTEE,
        ),
        source=source,
        key=USCC,
    )
    await publish_event(
        kafka_producer,
        bank_topic,
        LoanIssued(
            loan_id="SPDB-L-1",
            institution_id=BANK,
            uscc=USCC,
            enterprise_name=NAME,
            amount_wan=Decimal("80.00"),
            issued_on=date(2020, 10, 15),
            applied_on=date(2020, 10, 6),
            first_loan_attested=True,
            guarantee=Guarantee.GOVERNMENT_GUARANTEE,
        ),
        source=source,
        key=USCC,
    )
    await eventually(
        lambda: services_caught_up(apps.values(), f"bank.{BANK}.events"),
        within=60,
        what="the match and the bank's events to reach everyone",
    )

    async with supervisor_client(apps["roster"]) as http:
        file = (await http.get(f"/enterprises/{USCC}")).json()
    assert [(a["institution_id"], a["way"]) for a in file["assignments"]] == [(BANK, "match")]
    assert [loan["loan_id"] for loan in file["loans"]] == ["SPDB-L-1"]

    async with supervisor_client(apps["matchmaking"]) as http:
        pairing = (await http.get(f"/matches/{match_id}")).json()
    assert {o["outcome"] for o in pairing["outcomes"]} >= {"credit_granted", "loan_issued"}

    async with supervisor_client(apps["ledger"]) as http:
        october = (await http.get(f"/ledgers/{BANK}/2020-10")).json()
        row = next(r for r in october["rows"] if r["对接企业名称"] == NAME)
        assert row["对接成效(是否授信)"] == "是"
        assert row["授信金额(万元)"] == "80.00"
        assert row["对接后发放新贷款金额(万元)"] == "80.00"
        submitted = await http.post(f"/ledgers/{BANK}/2020-10/submit", json={})
        assert submitted.status_code == 201, submitted.text
    await eventually(
        lambda: services_caught_up(apps.values(), f"bank.{BANK}.events"),
        what="the submission to reach assessment",
    )

    after = await institution_figures(apps["assessment"])
    assert after["cultivated"] == before["cultivated"] + 1
    assert after["first_loans"] == before["first_loans"] + 1
