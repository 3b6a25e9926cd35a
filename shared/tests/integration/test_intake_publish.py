"""`firstloan bank publish` against the real broker: the records arrive keyed by USCC, in the
chosen mode, and the intake accepts what the command sent."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from console.cli import app
from shared.bus import create_topics, delete_topics
from shared.consumer import ConsumedRecord, Message
from shared.envelope import new_event
from shared.intake import check_bank_record
from shared.kafka_security import apply_grants, bank_grants
from shared.reference import load_reference
from shared.settings import ServiceSettings
from shared.testing import read_topic
from shared.topics import TopicSpec

pytestmark = pytest.mark.integration

USCC = "92140981MA0K12345F"


@pytest.fixture
async def settings(namespace: str) -> AsyncIterator[ServiceSettings]:
    """A namespace of its own: no service of the test session sees these events."""
    settings = ServiceSettings(
        service="clitest", kafka_user="admin", namespace=f"{namespace}p{secrets.token_hex(2)}"
    )
    spec = TopicSpec("bank.jinshang.events")
    await create_topics(settings, [spec])
    # The command publishes as the bank: the bank's rights in this namespace.
    await apply_grants(settings, bank_grants("jinshang", f"{settings.namespace}."))
    yield settings
    await delete_topics(settings, [settings.topic(spec.name)])


def loan(n: int) -> str:
    data = {
        "loan_id": f"JS-{n}",
        "institution_id": "jinshang",
        "uscc": USCC.lower(),  # normalised by the intake: keys are upper case
        "enterprise_name": "忻州示例个体工商户",
        "amount_wan": "8.5",
        "issued_on": "2020-11-02",
        "first_loan_attested": False,
        "guarantee": "credit",
    }
    event = new_event("LoanIssued", "urn:firstloan:institution:jinshang", data)
    return event.model_dump_json(exclude_none=True)


@pytest.mark.parametrize("mode", ["structured", "binary"])
async def test_publish_sends_checked_events(
    settings: ServiceSettings, tmp_path: Path, mode: str
) -> None:
    file = tmp_path / "loans.jsonl"
    file.write_text(f"{loan(1)}\n{loan(2)}\n", "utf-8")
    arguments = ["bank", "publish", str(file), "--institution", "jinshang", "--mode", mode]
    arguments += ["--bootstrap", settings.kafka_bootstrap, "--namespace", settings.namespace]
    # The command runs its own event loop: keep it off the test's.
    result = await asyncio.to_thread(CliRunner().invoke, app, arguments)
    assert result.exit_code == 0, result.output
    topic = settings.topic("bank.jinshang.events")
    assert f"published 2 events to {topic}" in result.output

    records = await read_topic(settings.kafka_bootstrap, topic)
    assert len(records) == 2
    assert {r.key for r in records} == {USCC.encode()}
    reference = load_reference()
    for record in records:
        assert ("ce_type" in dict(record.headers)) == (mode == "binary")
        consumed = ConsumedRecord(topic, 0, 0, record.key, record.value, tuple(record.headers))
        assert isinstance(check_bank_record(consumed, reference), Message)
