"""The consumer over the real broker and database: exactly-once effects under redelivery,
dead letters for every kind of bad record, and consumption that never stops."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.bus import create_topics, delete_topics
from shared.consumer import Message, Registry
from shared.contracts.roster import EnterpriseListed
from shared.envelope import new_event, to_binary, to_structured
from shared.provision import drop_database, ensure_database
from shared.service import Runtime
from shared.settings import ServiceSettings
from shared.testing import (
    add_to_tally,
    caught_up,
    eventually,
    move_group,
    read_tally,
    read_topic,
    tally_metadata,
)
from shared.topics import DEAD_LETTER, ROSTER_EVENTS, TopicSpec
from shared.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

metadata, tally = tally_metadata()
EXPLODING_NAME = "explodes when applied"


async def count_listings(uow: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]) -> None:
    listed = [e.payload for e in events if isinstance(e.payload, EnterpriseListed)]
    if any(e.name == EXPLODING_NAME for e in listed):
        raise RuntimeError("a handler bug")
    for event in listed:
        await add_to_tally(uow.store, tally, event.uscc)


@pytest.fixture
async def settings(namespace: str) -> AsyncIterator[ServiceSettings]:
    """A namespace of its own, so that no other test's consumer sees these records."""
    settings = ServiceSettings(
        service="consumertest",
        kafka_user="admin",  # the consumer's mechanics, not its rights (test_kafka_acls)
        namespace=f"{namespace}c{secrets.token_hex(2)}",
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
    )
    topics = [TopicSpec(ROSTER_EVENTS), TopicSpec(DEAD_LETTER, partitions=1)]
    await create_topics(settings, topics)
    await drop_database(settings)
    await ensure_database(settings)
    runtime = Runtime.create(settings, metadata, store=lambda connection: connection)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await runtime.engine.dispose()
    yield settings
    await drop_database(settings)
    await delete_topics(settings, [settings.topic(t.name) for t in topics])


def runtime_for(settings: ServiceSettings) -> Runtime:
    runtime = Runtime.create(settings, metadata, store=lambda connection: connection)
    runtime.subscribe(
        "listings", Registry({EnterpriseListed: count_listings}), topics=[ROSTER_EVENTS]
    )
    return runtime


def listed(uscc: str, name: str = "忻州示例商贸有限公司", event_id: str | None = None) -> bytes:
    data = {"uscc": uscc, "name": name, "county_code": "140902", "listed_on": "2020-09-05"}
    return to_structured(
        new_event("EnterpriseListed", "urn:firstloan:roster", data, event_id=event_id)
    )[0]


STRUCTURED = [("content-type", b"application/cloudevents+json")]
A, B, C = "91110108551385082Q", "91110000600037341L", "91350100M000100Y43"


async def tallies(runtime: Runtime) -> dict[str, int]:
    return await read_tally(runtime.engine, tally)


async def run_until_caught_up(runtime: Runtime, settings: ServiceSettings) -> None:
    group = settings.topic("consumertest.listings")
    topic = settings.topic(ROSTER_EVENTS)
    async with runtime.running():
        await eventually(
            lambda: caught_up(settings.kafka_bootstrap, group, [topic]),
            what="the consumer to commit every record",
        )
        await eventually(lambda: _outbox_empty(runtime), what="the relay to drain the outbox")


async def _outbox_empty(runtime: Runtime) -> bool:
    return await runtime.relay.pending() == 0


async def test_duplicates_and_poison_records(
    settings: ServiceSettings, kafka_producer: AIOKafkaProducer
) -> None:
    topic = settings.topic(ROSTER_EVENTS)
    binary_value, binary_headers = to_binary(
        new_event(
            "EnterpriseListed",
            "urn:firstloan:roster",
            {"uscc": C, "name": "n", "county_code": "140981", "listed_on": "2020-09-07"},
        )
    )
    sends = [
        (A.encode(), listed(A, event_id="e-a"), STRUCTURED),
        (A.encode(), listed(A, event_id="e-a"), STRUCTURED),  # the same event again
        (b"k", b"{definitely not json", []),
        (b"k", json.dumps({"hello": "world"}).encode(), []),
        (b"k", listed("91350100M000100Y4A", event_id="e-bad-uscc"), STRUCTURED),
        (b"k", b"{}", [("ce_specversion", b"1.0"), ("ce_bad", b"\xff\xfe")]),
        (B.encode(), listed(B, event_id="e-b"), STRUCTURED),
        (C.encode(), binary_value, binary_headers),
        (
            b"k",
            to_structured(new_event("WhitelistPublished", "urn:firstloan:roster", {}))[0],
            STRUCTURED,
        ),
    ]
    for key, value, headers in sends:
        await kafka_producer.send_and_wait(topic, value, key=key, headers=headers)

    runtime = runtime_for(settings)
    await run_until_caught_up(runtime, settings)
    assert await tallies(runtime) == {A: 1, B: 1, C: 1}

    dead = await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER))
    reasons = sorted(dict(r.headers)["dlq_reason"].decode() for r in dead)
    assert reasons == ["invalid_data", "invalid_json", "not_cloudevent", "not_cloudevent"]
    by_reason = {dict(r.headers)["dlq_reason"]: r for r in dead}
    assert by_reason[b"invalid_json"].value == b"{definitely not json"
    assert dict(by_reason[b"invalid_json"].headers)["dlq_consumer"] == b"consumertest.listings"
    assert b"uscc" in dict(by_reason[b"invalid_data"].headers)["dlq_detail"]

    # Everything delivered again (as after a lost offset commit): nothing changes.
    redelivery = runtime_for(settings.model_copy(update={"service": "consumertest"}))
    await _rewind(settings)
    await run_until_caught_up(redelivery, settings)
    assert await tallies(redelivery) == {A: 1, B: 1, C: 1}
    again = await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER))
    assert len(again) == len(dead)


async def test_a_record_that_breaks_its_handler_is_dead_lettered_alone(
    settings: ServiceSettings, kafka_producer: AIOKafkaProducer
) -> None:
    topic = settings.topic(ROSTER_EVENTS)
    before = len(await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER)))
    await _rewind(settings, to_end=True)
    for value in (
        listed(A, event_id="x-1"),
        listed(B, name=EXPLODING_NAME, event_id="x-2"),
        listed(C, event_id="x-3"),
    ):
        await kafka_producer.send_and_wait(topic, value, headers=STRUCTURED)
    runtime = runtime_for(settings)
    await run_until_caught_up(runtime, settings)
    assert await tallies(runtime) == {A: 1, C: 1}
    dead = (await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER)))[before:]
    assert [dict(r.headers)["dlq_reason"] for r in dead] == [b"processing_failed"]
    assert b"a handler bug" in dict(dead[0].headers)["dlq_detail"]


async def test_a_reused_event_id_with_other_content_is_a_conflicting_duplicate(
    settings: ServiceSettings, kafka_producer: AIOKafkaProducer
) -> None:
    """The copy recorded first counts; a later record under the same (source, id) with other
    content is dead-lettered once, even when the batch is delivered again, and the registry
    hears of it. The same event in the other Kafka mode is a plain duplicate."""
    topic = settings.topic(ROSTER_EVENTS)
    before = len(await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER)))
    await _rewind(settings, to_end=True)
    original = new_event(
        "EnterpriseListed",
        "urn:firstloan:roster",
        {"uscc": A, "name": "甲", "county_code": "140902", "listed_on": "2020-09-05"},
        event_id="dup-1",
    )
    heard: list[str] = []
    where: list[tuple[str, int]] = []

    async def hear(uow: UnitOfWork[AsyncConnection], messages: Sequence[Message[Any]]) -> None:
        heard.extend(m.payload.uscc for m in messages)
        where.extend((m.record.topic, m.record.offset) for m in messages if m.record)

    def with_hearing() -> Runtime:
        runtime = Runtime.create(settings, metadata, store=lambda connection: connection)
        registry = Registry({EnterpriseListed: count_listings}, conflicting_duplicates=hear)
        runtime.subscribe("listings", registry, topics=[ROSTER_EVENTS])
        return runtime

    # The original is recorded first (records on different partitions have no order).
    await kafka_producer.send_and_wait(
        topic, to_structured(original)[0], key=A.encode(), headers=STRUCTURED
    )
    await run_until_caught_up(with_hearing(), settings)
    binary_value, binary_headers = to_binary(original)
    await kafka_producer.send_and_wait(topic, binary_value, key=B.encode(), headers=binary_headers)
    # Another record reusing the id, keyed otherwise so that it lands elsewhere.
    await kafka_producer.send_and_wait(
        topic, listed(B, event_id="dup-1"), key=C.encode(), headers=STRUCTURED
    )
    await run_until_caught_up(with_hearing(), settings)
    await _rewind(settings)
    await run_until_caught_up(with_hearing(), settings)

    runtime = runtime_for(settings)
    assert (await tallies(runtime)).get(A) == 1
    assert B not in await tallies(runtime)
    dead = (await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER)))[before:]
    assert [dict(r.headers)["dlq_reason"] for r in dead] == [b"conflicting_duplicate"]
    assert B.encode() in dead[0].value
    assert heard == [B]
    assert where == [(topic, int(dict(dead[0].headers)["dlq_offset"]))]


async def _rewind(settings: ServiceSettings, *, to_end: bool = False) -> None:
    await move_group(
        settings.kafka_bootstrap,
        settings.topic("consumertest.listings"),
        settings.topic(ROSTER_EVENTS),
        to_end=to_end,
    )
