"""The adapter on the real Kafka and PostgreSQL: Fineract-encoded messages, written to the
Fineract topic by the bank's own principal, end as contract events on the bank's topic;
undecodable and unmappable ones as dead letters with the reason; a redelivery has no effect;
and the adapter's principal cannot write another bank's topic."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka.errors import TopicAuthorizationFailedError

import fineract.app
from fineract import views
from fineract.domain.mapping import APPROVED, DISBURSED, REJECTED, UNDO_DISBURSAL, FineractMapping
from fineract.mapping_file import load_mapping
from fineract.provisioning import provision_instances
from fineract.schemas import InstanceOut
from fineract.settings import FineractSettings
from fineract.storage import SqlStore
from fineract.testing import SCHEMA_DIR, bulk, loan, message, producer_as
from shared.envelope import Envelope, parse_record
from shared.kafka_security import bank_principal
from shared.service import Runtime
from shared.testing import caught_up, eventually, read_topic, sample_uscc
from shared.topics import DEAD_LETTER

pytestmark = pytest.mark.integration

MAPPING = """
[[instances]]
institution_id = "xzrcu"
guarantee_by_product = { "1" = "credit", "2" = "government_guarantee" }

[instances.first_loan_attested]
field = "loanPurposeName"
true_values = ["首贷-征信已查"]
false_values = ["续贷"]
"""
FINERACT_TOPIC = "fineract.xzrcu.external-events"


def settings_for(namespace: str, mapping_file: Path) -> FineractSettings:
    return FineractSettings(
        namespace=namespace,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        fineract_mapping_file=mapping_file,
        fineract_schema_dir=SCHEMA_DIR,
    )


@pytest.fixture(scope="module")
def mapping_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fineract") / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


async def shown_instance(runtime: Runtime, mapping: FineractMapping) -> InstanceOut:
    async with runtime.engine.connect() as connection:
        [shown] = await views.instances(SqlStore(connection), mapping)
    return shown


def bank_events(records: list[object]) -> list[Envelope]:
    parsed = [parse_record(r.value, r.headers) for r in records]  # type: ignore[attr-defined]
    return [e for e in parsed if isinstance(e, Envelope)]


async def test_fineract_messages_become_the_banks_events(
    private_namespace: str, mapping_file: Path
) -> None:
    settings = settings_for(private_namespace, mapping_file)
    mapping: FineractMapping = load_mapping(mapping_file)
    await provision_instances(settings, mapping)
    app = fineract.app.build(settings)
    runtime = app.runtime
    uscc, other = sample_uscc(1, tag="FJ"), sample_uscc(2, tag="FJ")
    approved = message(APPROVED, loan(1, uscc, approvedOnDate="2020-10-12"), message_id=1, key="k1")
    messages = [
        approved,
        message(
            DISBURSED,
            loan(1, uscc, actualDisbursementDate="2020-10-15"),
            message_id=2,
            key="k2",
            long_id=True,
        ),
        bulk(
            [
                (REJECTED, loan(2, other, rejectedOnDate="2020-10-13")),
                ("LoanUndoApprovalBusinessEvent", loan(2, other)),
            ],
            message_id=3,
            key="k3",
        ),
        message(UNDO_DISBURSAL, loan(1, uscc), message_id=4, key="k4", business_date="2020-11-02"),
        message(APPROVED, loan(5, None, approvedOnDate="2020-10-12"), message_id=5, key="k5"),
        b"\xc3\x01 not avro at all",
        approved,  # Fineract sends at least once: a redelivery
    ]
    topic = settings.topic(FINERACT_TOPIC)
    async with runtime.running(), producer_as(settings, bank_principal("xzrcu")) as bank:
        waiting = await shown_instance(runtime, mapping)
        assert (waiting.institution_id, waiting.mapped) == ("xzrcu", True)
        assert (waiting.messages, waiting.last_message_id, waiting.last_created_at) == (
            0,
            None,
            None,
        )
        for value in messages:
            await bank.send_and_wait(topic, value, key=(1).to_bytes(8, "big"))
        group = settings.topic("fineract.intake")

        async def consumed() -> bool:
            return await caught_up(settings.kafka_bootstrap, group, [topic])

        await eventually(consumed, what="the adapter to consume the Fineract topic")
        bank_topic = settings.topic("bank.xzrcu.events")

        async def published() -> bool:
            return len(await read_topic(settings.kafka_bootstrap, bank_topic)) >= 4

        await eventually(published, what="the contract events on the bank's topic")
        events = bank_events(await read_topic(settings.kafka_bootstrap, bank_topic))
        assert sorted((e.id, e.name) for e in events) == [
            ("k1", "CreditGranted"),
            ("k2", "LoanIssued"),
            ("k3/1", "CreditDeclined"),
            ("k4", "LoanReversed"),
        ]
        assert {e.source for e in events} == {"urn:firstloan:institution:xzrcu"}
        issued = next(e for e in events if e.id == "k2")
        assert issued.data["first_loan_attested"] is True
        assert issued.data["amount_wan"] == "50.00"

        dead = await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER))
        reasons = sorted(
            (dict(r.headers)["dlq_reason"].decode(), dict(r.headers)["dlq_detail"].decode())
            for r in dead
            if dict(r.headers).get("dlq_topic") == topic.encode()
        )
        assert [reason for reason, _ in reasons] == ["undecodable", "unmappable"]
        assert "is not in the schema directory" in reasons[0][1]
        assert "the client has no USCC" in reasons[1][1]

        shown = await shown_instance(runtime, mapping)
        assert shown.messages == 4  # the redelivery had no effect
        assert shown.last_message_id == 4
        assert shown.published == {
            "CreditDeclined": 1,
            "CreditGranted": 1,
            "LoanIssued": 1,
            "LoanReversed": 1,
        }
        assert shown.skipped == {"LoanUndoApprovalBusinessEvent": 1}


async def test_the_adapter_may_write_its_banks_topic_only(
    private_namespace: str, mapping_file: Path
) -> None:
    settings = settings_for(private_namespace, mapping_file)
    await provision_instances(settings, load_mapping(mapping_file))
    async with producer_as(settings, "fineract") as adapter:
        await adapter.send_and_wait(settings.topic("bank.xzrcu.events"), b"{}", key=b"k")
        with pytest.raises(TopicAuthorizationFailedError):
            await adapter.send_and_wait(settings.topic("bank.abc.events"), b"{}", key=b"k")
