"""On a cluster of three Kafka nodes (`make up CLUSTER=3`): the node leading the topic is
killed (SIGKILL) while commands keep writing events through the outbox and a consumer keeps
applying them; the platform carries on with two nodes, and once the node is back nothing
is lost and nothing applied twice."""

from __future__ import annotations

import asyncio
import secrets
import signal
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncConnection

from chaos.stack import kill_kafka_node, pid_of, signal_group, start_kafka_node
from shared.consumer import Message, Registry
from shared.contracts.roster import EnterpriseListed
from shared.lag import KafkaLag
from shared.service import Runtime
from shared.settings import ServiceSettings
from shared.testing import (
    add_to_tally,
    caught_up,
    eventually,
    listed_event,
    read_tally,
    runtime_test_storage,
    sample_uscc,
    tally_metadata,
)
from shared.topics import DEAD_LETTER, ROSTER_EVENTS, TopicSpec
from shared.unit_of_work import UnitOfWork

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

metadata, tally = tally_metadata()
LOAD_SECONDS = 20.0


@pytest.fixture
async def settings(namespace: str) -> AsyncIterator[ServiceSettings]:
    settings = ServiceSettings(
        service="clustertest",
        kafka_user="admin",  # the runtime's mechanics, not its rights (test_kafka_acls)
        namespace=f"{namespace}k{secrets.token_hex(2)}",
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        outbox_stall_seconds=10,
    )
    topics = [TopicSpec(ROSTER_EVENTS), TopicSpec(DEAD_LETTER, partitions=1)]
    async with runtime_test_storage(settings, metadata, topics):
        yield settings


async def leader_of(settings: ServiceSettings, topic: str) -> int:
    """The node that leads the topic's first partition."""
    async with KafkaLag(settings.kafka_bootstrap) as lag:
        described = await lag.admin.describe_topics([topic])
    leader = described[0]["partitions"][0]["leader"]
    assert isinstance(leader, int)
    return leader


async def count(uow: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]) -> None:
    for event in events:
        await add_to_tally(uow.store, tally, event.payload.uscc)


def counting_service(settings: ServiceSettings) -> Runtime:
    runtime = Runtime.create(settings, metadata, store=lambda connection: connection)
    runtime.subscribe("listings", Registry({EnterpriseListed: count}), topics=[ROSTER_EVENTS])
    return runtime


async def write_for(runtime: Runtime, seconds: float, written: list[str]) -> None:
    """Commands, one after the other, each listing an enterprise (an event in the outbox)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        uscc = sample_uscc(len(written), tag="KC")
        async with runtime.transaction() as uow:
            uow.emit(ROSTER_EVENTS, uscc, listed_event(uscc))
        written.append(uscc)
        await asyncio.sleep(0.01)


async def all_applied_once(runtime: Runtime, written: list[str]) -> None:
    settings = runtime.settings
    await eventually(lambda: _relayed(runtime), within=90, what="the outbox to drain")
    await eventually(
        lambda: caught_up(
            settings.kafka_bootstrap,
            settings.topic("clustertest.listings"),
            [settings.topic(ROSTER_EVENTS)],
        ),
        within=90,
        what="the consumer to commit every record",
    )
    assert await read_tally(runtime.engine, tally) == dict.fromkeys(written, 1)
    assert len(written) > 200, "a load worth the name"


async def test_one_node_of_three_killed_under_load_loses_nothing(
    settings: ServiceSettings,
) -> None:
    runtime = counting_service(settings)
    victim = await leader_of(settings, settings.topic(ROSTER_EVENTS))
    written: list[str] = []
    async with runtime.running():
        load = asyncio.create_task(write_for(runtime, LOAD_SECONDS, written))
        await asyncio.sleep(LOAD_SECONDS / 4)
        await kill_kafka_node(victim)
        assert pid_of(f"kafka-{victim}") is None
        applied_then = len(await read_tally(runtime.engine, tally))
        # Two nodes are enough for min.insync.replicas=2: the platform keeps going.
        await eventually(
            lambda: _more_applied_than(runtime, applied_then + 50),
            within=60,
            what="events to keep being applied with a node down",
        )
        await load
        await start_kafka_node(victim)
        await all_applied_once(runtime, written)


async def test_a_producer_stuck_on_a_frozen_leader_is_replaced_and_nothing_is_lost(
    settings: ServiceSettings,
) -> None:
    """SIGSTOP of the leading node: the relay's producer waits on it until the relay gives
    up on it (outbox_stall_seconds) and replaces it, as it replaces one wedged for good by
    OutOfOrderSequenceNumber after such an outage; the copies it sends again are absorbed."""
    runtime = counting_service(settings)
    made = 0
    factory = runtime.relay.producer_factory

    def counted() -> AIOKafkaProducer:
        nonlocal made
        made += 1
        return factory()

    runtime.relay.producer_factory = counted
    victim = await leader_of(settings, settings.topic(ROSTER_EVENTS))
    written: list[str] = []
    async with runtime.running():
        load = asyncio.create_task(write_for(runtime, LOAD_SECONDS, written))
        await asyncio.sleep(LOAD_SECONDS / 4)
        signal_group(f"kafka-{victim}", signal.SIGSTOP)
        try:
            await eventually(lambda: _replaced(made), within=60, what="a new producer")
        finally:
            signal_group(f"kafka-{victim}", signal.SIGCONT)
        await load
        await all_applied_once(runtime, written)


async def _replaced(made: int) -> bool:
    return made >= 2


async def _more_applied_than(runtime: Runtime, count: int) -> bool:
    return len(await read_tally(runtime.engine, tally)) > count


async def _relayed(runtime: Runtime) -> bool:
    return await runtime.relay.pending() == 0
