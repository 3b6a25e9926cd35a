"""A bank running Apache Fineract, end to end over the real broker: its Fineract publishes
Avro-encoded external events on its Fineract topic (written by the bank's own principal, and
encoded by the demo's Fineract writer, not by the adapter's code), the adapter
turns them into contract events, and assessment counts the first loan of a listed
enterprise for its county and the bank; a loan whose disbursal is undone is not counted, a
rejection counts nothing, and a message Fineract sends again has no effect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pytest

import assessment.app
import fineract.app
import roster.app
from assessment.settings import AssessmentSettings
from console.demo.fineract import (
    BULK_PAYLOAD,
    LOAN_ACCOUNT,
    LOAN_APPROVED,
    LOAN_DISBURSAL_UNDONE,
    LOAN_DISBURSED,
    LOAN_REJECTED,
    FineractWriter,
)
from fineract.mapping_file import load_mapping
from fineract.provisioning import provision_instances
from fineract.settings import FineractSettings
from fineract.testing import SCHEMA_DIR, loan, producer_as
from roster.settings import RosterSettings
from shared.access_testing import supervisor_client
from shared.envelope import Envelope, parse_record
from shared.kafka_security import bank_principal
from shared.service import Service
from shared.testing import eventually, read_topic, sample_uscc, services_caught_up

pytestmark = pytest.mark.integration

BANK, COUNTY = "xzrcu", "140921"  # 定襄县
FINERACT_TOPIC, BANK_TOPIC = f"fineract.{BANK}.external-events", f"bank.{BANK}.events"
MAPPING = f"""
[[instances]]
institution_id = "{BANK}"
guarantee_by_product = {{ "1" = "credit", "2" = "government_guarantee" }}

[instances.first_loan_attested]
field = "loanPurposeName"
true_values = ["首贷-征信已查"]
false_values = ["续贷"]
"""
LENT, REVERSED, REJECTED_CLIENT = (sample_uscc(n, COUNTY, tag="FE") for n in (1, 2, 3))
FINERACT = FineractWriter(SCHEMA_DIR)


@pytest.fixture(scope="module")
def mapping_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fineract") / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


@pytest.fixture
async def services(
    private_namespace: str, mapping_file: Path
) -> AsyncIterator[dict[str, Service[Any]]]:
    fast: dict[str, Any] = {
        "namespace": private_namespace,
        "consumer_batch_timeout_ms": 50,
        "outbox_poll_seconds": 0.1,
    }
    adapter_settings = FineractSettings.model_validate(
        {**fast, "fineract_mapping_file": mapping_file, "fineract_schema_dir": SCHEMA_DIR}
    )
    await provision_instances(adapter_settings, load_mapping(mapping_file))
    apps: dict[str, Service[Any]] = {
        "roster": roster.app.build(RosterSettings.model_validate(fast)),
        "fineract": fineract.app.build(adapter_settings),
        "assessment": assessment.app.build(
            AssessmentSettings.model_validate(
                {**fast, "clock_date": date(2020, 12, 1), "run_checkpoints": False}
            )
        ),
    }
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.running())
        yield apps


def nomination(uscc: str) -> dict[str, object]:
    return {
        "uscc": uscc,
        "name": "定襄县示例机械制造有限公司",
        "county_code": COUNTY,
        "size_class": "small",
        "source": "government",
        "nominated_by": "定襄县发改局",
        "nominated_on": "2020-09-08",
        "no_loan_in_5y_attested": True,
    }


def message(
    event_type: str,
    data: dict[str, Any],
    message_id: int,
    *,
    dataschema: str = LOAN_ACCOUNT,
    business_date: str = "2020-10-15",
    message_id_type: Literal["int", "long"] | None = None,
) -> bytes:
    return FINERACT.message(
        event_type,
        data,
        message_id=message_id,
        idempotency_key=f"fe-{message_id}",
        source=f"fineract-{BANK}-1",
        business_date=business_date,
        dataschema=dataschema,
        message_id_type=message_id_type,
    )


def bulk(items: list[tuple[str, dict[str, Any]]], message_id: int) -> bytes:
    """A `BulkBusinessEvent`: loan events recorded together, numbered from 1."""
    datas = [
        {
            "id": number,
            "type": event_type,
            "category": "LOAN",
            "dataschema": LOAN_ACCOUNT,
            "data": FINERACT.single_object(LOAN_ACCOUNT, data),
        }
        for number, (event_type, data) in enumerate(items, start=1)
    ]
    return message("BulkBusinessEvent", {"datas": datas}, message_id, dataschema=BULK_PAYLOAD)


def fineract_messages() -> list[tuple[int, bytes]]:
    """(loan id, value) as the bank's Fineract sends them, in the order of MessageV1.id."""
    disbursed = message(
        LOAN_DISBURSED,
        loan(11, LENT, actualDisbursementDate="2020-10-15"),
        2,
        message_id_type="long",
    )
    return [
        (11, message(LOAN_APPROVED, loan(11, LENT, approvedOnDate="2020-10-12"), 1)),
        (11, disbursed),
        (
            12,
            bulk(
                [
                    (LOAN_APPROVED, loan(12, REVERSED, approvedOnDate="2020-10-13")),
                    (LOAN_DISBURSED, loan(12, REVERSED, actualDisbursementDate="2020-10-16")),
                ],
                3,
            ),
        ),
        (13, message(LOAN_REJECTED, loan(13, REJECTED_CLIENT, rejectedOnDate="2020-10-14"), 4)),
        (12, message(LOAN_DISBURSAL_UNDONE, loan(12, REVERSED), 5, business_date="2020-10-20")),
        (11, disbursed),  # Fineract sends at least once: a redelivery
    ]


async def attainment(app: Service[Any], level: str, unit_id: str) -> dict[str, Any]:
    async with supervisor_client(app) as http:
        body = (await http.get("/attainment", params={"level": level})).json()
    return next(u for u in body["units"] if u["unit_id"] == unit_id)


async def test_a_fineract_banks_loans_reach_attainment(services: dict[str, Service[Any]]) -> None:
    async with supervisor_client(services["roster"]) as http:
        for uscc in (LENT, REVERSED):
            listed = await http.post("/nominations", json=nomination(uscc))
            assert listed.status_code == 201, listed.text
            assert listed.json()["status"] == "listed"
    await eventually(
        lambda: services_caught_up(services.values(), BANK_TOPIC),
        what="the listing to reach everyone",
    )

    settings = services["fineract"].settings
    assert isinstance(settings, FineractSettings)
    async with producer_as(settings, bank_principal(BANK)) as bank:
        for loan_id, value in fineract_messages():
            await bank.send_and_wait(
                settings.topic(FINERACT_TOPIC), value, key=loan_id.to_bytes(8, "big")
            )
    await eventually(
        lambda: services_caught_up(services.values(), BANK_TOPIC),
        within=60,
        what="the Fineract messages to reach assessment through the adapter",
    )

    records = await read_topic(settings.kafka_bootstrap, settings.topic(BANK_TOPIC))
    parsed = [parse_record(r.value, r.headers) for r in records]
    published = sorted((e.id, e.name) for e in parsed if isinstance(e, Envelope))
    assert published == [  # the redelivery published nothing again
        ("fe-1", "CreditGranted"),
        ("fe-2", "LoanIssued"),
        ("fe-3/1", "CreditGranted"),
        ("fe-3/2", "LoanIssued"),
        ("fe-4", "CreditDeclined"),
        ("fe-5", "LoanReversed"),
    ]

    county = await attainment(services["assessment"], "county", COUNTY)
    assert (county["cultivated"], county["first_loans"]) == (2, 1)
    institution = await attainment(services["assessment"], "institution", BANK)
    assert institution["first_loans"] == 1
