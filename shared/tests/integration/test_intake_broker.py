"""The bank intake over the real broker and database: good records applied exactly once
whatever the mode, every bad one dead-lettered with its bytes and reason, consumption going
on after poison, a new institution's topic consumed without a restart, and the counts."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import Column, Table, Text, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.bus import create_topics, delete_topics
from shared.consumer import Message, Registry
from shared.contracts.bank import BANK_EVENTS
from shared.db import new_metadata
from shared.envelope import new_event, to_binary, to_structured
from shared.inbox import inbox_table
from shared.outbox import outbox_table
from shared.provision import drop_database, ensure_database
from shared.reference import PACKAGED_REFERENCE_FILE
from shared.service import Runtime, create_app
from shared.settings import ServiceSettings
from shared.testing import caught_up, eventually, read_topic
from shared.topics import DEAD_LETTER, TopicSpec
from shared.unit_of_work import UnitOfWork
from shared.validators import uscc_check_character

pytestmark = pytest.mark.integration

metadata = new_metadata()
outbox_table(metadata)
inbox_table(metadata)
# A plain insert per event: a second application of one event would fail loudly.
applied = Table(
    "applied",
    metadata,
    Column("source", Text, primary_key=True),
    Column("event_id", Text, primary_key=True),
    Column("type", Text, nullable=False),
)
SERVICE = "intaketest"
NEW_BANK = "village-9"
NEW_BANK_TOML = f"""
[[institutions]]
id = "{NEW_BANK}"
name = "示例村镇银行(测试)"
category = "village_bank"
"""


async def record_applied(uow: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]) -> None:
    if events:
        rows = [
            {"source": e.envelope.source, "event_id": e.envelope.id, "type": e.envelope.name}
            for e in events
        ]
        await uow.store.execute(insert(applied), rows)


def uscc(n: int) -> str:
    body = f"91140902MA0G{n:05d}"
    return body + uscc_check_character(body)


@pytest.fixture
async def settings(namespace: str, tmp_path: Path) -> AsyncIterator[ServiceSettings]:
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir()
    packaged = PACKAGED_REFERENCE_FILE.read_text(encoding="utf-8")
    (campaigns / "xinzhou-2020.toml").write_text(packaged, "utf-8")
    settings = ServiceSettings(
        service=SERVICE,
        kafka_user="admin",  # the intake's mechanics, not its rights (test_kafka_acls)
        namespace=f"{namespace}i{secrets.token_hex(2)}",
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        campaigns=campaigns,
        topic_discovery_seconds=1,
        campaigns_reload_seconds=0.2,
    )
    topics = [
        TopicSpec("bank.icbc.events"),
        TopicSpec("bank.abc.events"),
        TopicSpec(DEAD_LETTER, partitions=1),
    ]
    await create_topics(settings, topics)
    await drop_database(settings)
    await ensure_database(settings)
    runtime = Runtime.create(settings, metadata, store=lambda connection: connection)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await runtime.engine.dispose()
    yield settings
    await drop_database(settings)
    names = [settings.topic(t.name) for t in topics] + [settings.topic(f"bank.{NEW_BANK}.events")]
    await delete_topics(settings, names)


def bank_event(institution: str, n: int, *, source: str | None = None, **changes: Any) -> Any:
    data = {
        "loan_id": f"L-{n}",
        "institution_id": institution,
        "uscc": uscc(n),
        "enterprise_name": f"忻州示例企业{n}有限公司",
        "amount_wan": "30.00",
        "issued_on": "2020-10-15",
        "applied_on": "2020-10-09",
        "first_loan_attested": True,
        "guarantee": "government_guarantee",
        **changes,
    }
    return new_event(
        "LoanIssued",
        source or f"urn:firstloan:institution:{institution}",
        data,
        subject=uscc(n),
        event_id=f"{institution}-loan-{n}",
    )


async def applied_ids(runtime: Runtime) -> list[str]:
    async with runtime.engine.connect() as connection:
        return sorted(row.event_id for row in await connection.execute(select(applied)))


async def test_good_records_apply_once_and_poison_goes_to_the_dead_letter_topic(
    settings: ServiceSettings, kafka_producer: AIOKafkaProducer
) -> None:
    icbc, abc = settings.topic("bank.icbc.events"), settings.topic("bank.abc.events")
    good_structured = to_structured(bank_event("icbc", 1))
    good_binary = to_binary(bank_event("icbc", 2))
    spoof_source = to_structured(bank_event("icbc", 3, source="urn:firstloan:institution:abc"))
    spoof_data = to_binary(bank_event("abc", 4))  # says abc, arrives on icbc's topic
    number_amount = to_structured(bank_event("icbc", 5, amount_wan=30))
    bad_uscc = to_binary(bank_event("icbc", 9, uscc="91140902MA0G000090"))
    unknown_type = to_structured(new_event("LoanPromised", "urn:firstloan:institution:icbc", {}))
    sends: list[tuple[str, bytes, Sequence[tuple[str, bytes]]]] = [
        (icbc, b"{not json at all", [("content-type", b"application/cloudevents+json")]),
        (icbc, *good_structured),
        (icbc, json.dumps({"loan_id": "L-x"}).encode(), []),  # bare data, no attributes
        (icbc, *good_binary),
        (icbc, *good_structured),  # the same event again
        (icbc, to_binary(bank_event("icbc", 1))[0], to_binary(bank_event("icbc", 1))[1]),
        (icbc, *spoof_source),
        (icbc, *spoof_data),
        (icbc, *number_amount),
        (icbc, *unknown_type),
        (icbc, *bad_uscc),
        (abc, *to_binary(bank_event("abc", 6))),  # a good one after all the poison
    ]
    for topic, value, headers in sends:
        await kafka_producer.send_and_wait(topic, value, key=b"k", headers=list(headers))

    runtime = Runtime.create(settings, metadata, store=lambda connection: connection)
    runtime.subscribe_bank_events(Registry(dict.fromkeys(BANK_EVENTS, record_applied)))
    app = create_app(runtime, [], title="intake test", access={})
    group = settings.topic(f"{SERVICE}.bank")
    async with runtime.running():
        await eventually(
            lambda: caught_up(settings.kafka_bootstrap, group, [icbc, abc]),
            what="the intake to commit every record",
        )
        await eventually(lambda: _drained(runtime), what="the dead letters to be published")
        assert await applied_ids(runtime) == ["abc-loan-6", "icbc-loan-1", "icbc-loan-2"]

        dead = await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER))
        reasons = sorted(dict(r.headers)["dlq_reason"].decode() for r in dead)
        assert reasons == [
            "invalid_data",
            "invalid_data",
            "invalid_json",
            "not_cloudevent",
            "spoofed_origin",
            "spoofed_origin",
            "unknown_type",
        ]
        by_reason = {dict(r.headers)["dlq_reason"]: r for r in dead if r.value != bad_uscc[0]}
        assert by_reason[b"invalid_json"].value == b"{not json at all"
        assert by_reason[b"invalid_data"].value == number_amount[0]
        assert dict(by_reason[b"invalid_data"].headers)["dlq_consumer"] == b"intaketest.bank"
        assert (
            dict(by_reason[b"unknown_type"].headers)["content-type"]
            == b"application/cloudevents+json"
        )

        metrics = await _metrics(app)
        assert _sample(metrics, "icbc", "accepted") == 4  # records, duplicates included
        assert _sample(metrics, "icbc", "spoofed_origin") == 2
        assert _sample(metrics, "icbc", "invalid_json") == 1
        assert _sample(metrics, "abc", "accepted") == 1

        await _a_new_institution_is_consumed_without_restart(settings, runtime, kafka_producer)


async def _a_new_institution_is_consumed_without_restart(
    settings: ServiceSettings, runtime: Runtime, kafka_producer: AIOKafkaProducer
) -> None:
    """First unknown (its events are dead-lettered), then added by an operator."""
    topic = settings.topic(f"bank.{NEW_BANK}.events")
    started = time.monotonic()
    await create_topics(settings, [TopicSpec(f"bank.{NEW_BANK}.events")])
    value, headers = to_structured(bank_event(NEW_BANK, 7))
    await kafka_producer.send_and_wait(topic, value, key=uscc(7).encode(), headers=headers)

    async def dead_lettered() -> bool:
        dead = await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER))
        return any(dict(r.headers)["dlq_reason"] == b"unknown_institution" for r in dead)

    await eventually(dead_lettered, within=30, what="the new topic to be discovered")
    discovered_after = time.monotonic() - started

    assert settings.campaigns is not None
    with (settings.campaigns / "xinzhou-2020.toml").open("a", encoding="utf-8") as file:
        file.write(NEW_BANK_TOML)
    await asyncio.sleep(2 * settings.campaigns_reload_seconds)  # the promised bound
    value, headers = to_binary(bank_event(NEW_BANK, 8))
    await kafka_producer.send_and_wait(topic, value, key=uscc(8).encode(), headers=headers)

    async def consumed() -> bool:
        return f"{NEW_BANK}-loan-8" in await applied_ids(runtime)

    await eventually(consumed, within=30, what="the new institution's event to be applied")
    assert f"{NEW_BANK}-loan-7" not in await applied_ids(runtime)
    # Bounded by topic_discovery_seconds plus a consumer-group rebalance.
    assert discovered_after < 30


async def _drained(runtime: Runtime) -> bool:
    return await runtime.relay.pending() == 0


async def _metrics(app: Any) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text


def _sample(metrics: str, institution: str, outcome: str) -> float:
    prefix = (
        f'firstloan_bank_events_total{{consumer="{SERVICE}.bank",'
        f'institution="{institution}",outcome="{outcome}"}} '
    )
    for line in metrics.splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0
