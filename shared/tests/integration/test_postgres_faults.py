"""PostgreSQL killed in the middle of a unit of work, for real (SIGKILL of a server of the
test's own): the consumer's batch and an HTTP command are each done again whole once the
server is back, over a pool whose dead connections are discarded, with nothing dead-lettered
and nothing applied twice; a request that outlasts the retrying is answered 503."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.access import ANY_CALLER
from shared.access_testing import bearer_headers
from shared.bus import create_topics, delete_topics
from shared.consumer import Message, Registry
from shared.contracts.roster import EnterpriseListed
from shared.provision import ensure_database
from shared.service import Runtime, create_app
from shared.settings import ServiceSettings
from shared.testing import (
    ScratchPostgres,
    add_to_tally,
    caught_up,
    eventually,
    listed_event,
    publish_event,
    read_tally,
    read_topic,
    scratch_postgres,
    tally_metadata,
)
from shared.topics import DEAD_LETTER, ROSTER_EVENTS, TopicSpec
from shared.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

metadata, tally = tally_metadata()
USCCS = ["91110108551385082Q", "91110000600037341L", "91350100M000100Y43"]


class Gate:
    """Holds the first unit of work open, in the middle of its transaction, until the test
    has killed the database under it."""

    def __init__(self) -> None:
        self.inside = asyncio.Event()
        self.release = asyncio.Event()

    async def hold_once(self) -> None:
        if not self.inside.is_set():
            self.inside.set()
            await self.release.wait()


async def count(uow: UnitOfWork[AsyncConnection], uscc: str, gate: Gate) -> None:
    await add_to_tally(uow.store, tally, uscc)
    await gate.hold_once()
    await uow.store.execute(select(1))  # the transaction goes on after the crash


@pytest.fixture
async def setup(namespace: str) -> AsyncIterator[tuple[ServiceSettings, ScratchPostgres]]:
    settings = ServiceSettings(
        service="pgfaults",
        kafka_user="admin",  # the runtime's mechanics, not its rights (test_kafka_acls)
        namespace=f"{namespace}p{secrets.token_hex(2)}",
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        unavailable_patience_seconds=6,
    )
    topics = [TopicSpec(ROSTER_EVENTS), TopicSpec(DEAD_LETTER, partitions=1)]
    await create_topics(settings, topics)
    async with scratch_postgres(settings) as server:
        settings = settings.model_copy(update={"pg_port": server.port})
        await ensure_database(settings)
        runtime = Runtime.create(settings, metadata, store=lambda connection: connection)
        async with runtime.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        await runtime.engine.dispose()
        yield settings, server
    await delete_topics(settings, [settings.topic(t.name) for t in topics])


async def crash_while_inside(server: ScratchPostgres, gate: Gate, down_seconds: float) -> None:
    await asyncio.wait_for(gate.inside.wait(), 60)
    server.kill()
    gate.release.set()
    await asyncio.sleep(down_seconds)
    await server.start()


async def tallies(runtime: Runtime) -> dict[str, int]:
    return await read_tally(runtime.engine, tally)


async def test_a_batch_that_loses_postgres_mid_transaction_is_applied_once_when_it_is_back(
    setup: tuple[ServiceSettings, ScratchPostgres], kafka_producer: AIOKafkaProducer
) -> None:
    settings, server = setup
    gate = Gate()

    async def handle(uow: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]) -> None:
        for event in events:
            await count(uow, event.payload.uscc, gate)

    runtime = Runtime.create(settings, metadata, store=lambda connection: connection)
    runtime.subscribe("listings", Registry({EnterpriseListed: handle}), topics=[ROSTER_EVENTS])
    topic = settings.topic(ROSTER_EVENTS)
    for uscc in USCCS:
        await publish_event(
            kafka_producer, topic, listed_event(uscc), source="urn:firstloan:roster", key=uscc
        )

    async with runtime.running():
        await crash_while_inside(server, gate, down_seconds=2)
        await eventually(
            lambda: caught_up(
                settings.kafka_bootstrap, settings.topic("pgfaults.listings"), [topic]
            ),
            within=90,
            what="the consumer to commit every record after PostgreSQL came back",
        )
        assert await tallies(runtime) == dict.fromkeys(USCCS, 1)
    dead = await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER))
    assert dead == [], "an outage is not the records' fault: nothing is dead-lettered"


async def test_a_command_that_loses_postgres_is_served_again_whole(
    setup: tuple[ServiceSettings, ScratchPostgres],
) -> None:
    settings, server = setup
    gate = Gate()
    runtime = Runtime.create(settings, metadata, store=lambda connection: connection)
    router = APIRouter()

    @router.post("/count/{uscc}")
    async def count_one(uscc: str) -> dict[str, str]:
        async with runtime.transaction() as uow:
            await count(uow, uscc, gate)
        return {"counted": uscc}

    access = {("POST", "/count/{uscc}"): ANY_CALLER}
    app = create_app(runtime, [router], title="pgfaults", access=access)
    transport = httpx.ASGITransport(app=app)
    async with (
        runtime.running(),
        httpx.AsyncClient(
            transport=transport, base_url="http://pgfaults", headers=bearer_headers(settings)
        ) as http,
    ):
        request = asyncio.create_task(http.post(f"/count/{USCCS[0]}", timeout=60))
        await crash_while_inside(server, gate, down_seconds=2)
        answer = await request
        assert (answer.status_code, answer.json()) == (200, {"counted": USCCS[0]})
        assert await tallies(runtime) == {USCCS[0]: 1}

        # Down for longer than the service waits: 503, the client may retry later.
        server.kill()
        try:
            refused = await http.post(f"/count/{USCCS[1]}", timeout=60)
        finally:
            await server.start()
        assert refused.status_code == 503, refused.text
        assert json.loads(refused.text)["error"] == "unavailable"
        assert int(refused.headers["retry-after"]) >= 1
        assert (await http.post(f"/count/{USCCS[1]}", timeout=60)).status_code == 200
        assert await tallies(runtime) == {USCCS[0]: 1, USCCS[1]: 1}
