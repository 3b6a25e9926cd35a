"""A consumer paused (SIGSTOP) in the middle of a batch, past its session timeout, loses its
partitions to another member of its group, which reads the same records again. When the
paused one resumes, it finishes its transaction; the other member's inbox claim of the same
events waits for it and then finds them taken: every event is applied exactly once.

Run as a script, this module is the member that gets paused: `python test_paused_consumer.py
NAMESPACE HOLD_SECONDS` consumes and, inside its first batch's transaction, says `holding`
and waits HOLD_SECONDS before going on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.consumer import Message, Registry
from shared.contracts.roster import EnterpriseListed
from shared.service import Runtime
from shared.settings import ServiceSettings
from shared.testing import (
    add_to_tally,
    caught_up,
    eventually,
    listed_event,
    publish_event,
    read_tally,
    runtime_test_storage,
    sample_uscc,
    tally_metadata,
)
from shared.topics import DEAD_LETTER, ROSTER_EVENTS, TopicSpec
from shared.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

metadata, tally = tally_metadata()
SESSION_TIMEOUT_MS = 6_000  # the least a broker allows
USCCS = [sample_uscc(n, tag="PC") for n in range(20)]


def settings_for(namespace: str) -> ServiceSettings:
    return ServiceSettings(
        service="pausetest",
        kafka_user="admin",  # the consumer's mechanics, not its rights (test_kafka_acls)
        namespace=namespace,
        consumer_batch_timeout_ms=50,
        consumer_session_timeout_ms=SESSION_TIMEOUT_MS,
    )


def member(settings: ServiceSettings, hold_seconds: float = 0.0) -> Runtime:
    held = False

    async def count(uow: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]) -> None:
        nonlocal held
        for event in events:
            await add_to_tally(uow.store, tally, event.payload.uscc)
        if hold_seconds and not held:
            held = True
            print("holding", flush=True)
            await asyncio.sleep(hold_seconds)

    runtime = Runtime.create(settings, metadata, store=lambda connection: connection)
    runtime.subscribe("listings", Registry({EnterpriseListed: count}), topics=[ROSTER_EVENTS])
    return runtime


@pytest.fixture
async def settings(namespace: str) -> AsyncIterator[ServiceSettings]:
    settings = settings_for(f"{namespace}s{secrets.token_hex(2)}")
    # One partition: whoever owns it owns every record.
    topics = [TopicSpec(ROSTER_EVENTS, partitions=1), TopicSpec(DEAD_LETTER, partitions=1)]
    async with runtime_test_storage(settings, metadata, topics):
        yield settings


@contextlib.asynccontextmanager
async def paused_member(settings: ServiceSettings) -> AsyncIterator[asyncio.subprocess.Process]:
    """The other member, a process of its own, stopped by SIGSTOP inside its first batch."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__)),
        settings.namespace,
        str(SESSION_TIMEOUT_MS / 1000 * 2.5),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 90)
        assert line == b"holding\n", line
        os.kill(process.pid, signal.SIGSTOP)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
        await process.wait()


async def waiting_on_a_lock(runtime: Runtime) -> bool:
    async with runtime.engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


async def test_a_member_paused_past_its_session_timeout_applies_nothing_twice(
    settings: ServiceSettings, kafka_producer: AIOKafkaProducer
) -> None:
    topic = settings.topic(ROSTER_EVENTS)
    for uscc in USCCS:
        await publish_event(
            kafka_producer, topic, listed_event(uscc), source="urn:firstloan:roster", key=uscc
        )
    group = settings.topic("pausetest.listings")
    async with paused_member(settings) as paused:
        other = member(settings)
        async with other.running():
            # The paused member's session expires; this one gets the partition, reads the
            # same records, and its inbox claim waits on the paused transaction's.
            await eventually(
                lambda: waiting_on_a_lock(other),
                within=60,
                what="the second member's inbox claim to wait on the paused member's",
            )
            assert await read_tally(other.engine, tally) == {}, "nothing committed yet"
            os.kill(paused.pid, signal.SIGCONT)
            await eventually(
                lambda: caught_up(settings.kafka_bootstrap, group, [topic]),
                within=90,
                what="the group to commit every record",
            )
            assert await read_tally(other.engine, tally) == dict.fromkeys(USCCS, 1)
            async with other.engine.connect() as connection:
                inbox = other.inbox.table
                claimed = await connection.scalar(select(func.count()).select_from(inbox))
            assert claimed == len(USCCS)


async def _hold(namespace: str, hold_seconds: float) -> None:
    runtime = member(settings_for(namespace), hold_seconds)
    async with runtime.running():
        await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(_hold(sys.argv[1], float(sys.argv[2])))
