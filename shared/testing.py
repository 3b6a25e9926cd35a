"""Test fixtures and helpers every service's tests use (a pytest plugin, see conftest.py).

Integration tests run against the real Kafka and PostgreSQL that `make test` starts. Each
test session gets its own namespace: its own databases and topics, provisioned exactly as the
platform's, so tests never see the running platform's data, and are dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import Column, Integer, MetaData, Table, Text, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.bus import create_topics, delete_topics, operator_options
from shared.consumer import Message
from shared.contracts import EventData
from shared.contracts.roster import EnterpriseListed
from shared.db import create_engine, new_metadata
from shared.envelope import Envelope, new_event, parse_record, to_structured
from shared.inbox import inbox_table
from shared.lag import KafkaLag
from shared.outbox import OutgoingRecord, outbox_table
from shared.provision import deprovision, drop_database, ensure_database, provision
from shared.reference import PACKAGED_REFERENCE_FILE
from shared.service import Service
from shared.settings import CLUSTER_ENV_FILE, ServiceSettings
from shared.topics import TopicSpec
from shared.unit_of_work import UnitOfWork
from shared.validators import uscc_check_character


def cluster_size() -> int:
    """Kafka nodes of the cluster `make up CLUSTER=3` started (0 without one), as the file it
    writes for clients says."""
    if not CLUSTER_ENV_FILE.exists():
        return 0
    return len(ServiceSettings(service="test").kafka_bootstrap.split(","))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `cluster` kill Kafka nodes: they run only where a cluster is up."""
    if cluster_size() >= 3:
        return
    skip = pytest.mark.skip(reason="needs a Kafka cluster: make up CLUSTER=3 (make chaos)")
    for item in items:
        if item.get_closest_marker("cluster"):
            item.add_marker(skip)


@contextlib.asynccontextmanager
async def provisioned_namespace(partitions: int = 3) -> AsyncIterator[str]:
    name = f"t{secrets.token_hex(4)}"
    await provision(name, partitions)
    yield name
    if not os.environ.get("FIRSTLOAN_KEEP_TEST_DATA"):
        await deprovision(name)


@pytest.fixture(scope="session")
async def namespace() -> AsyncIterator[str]:
    """Shared by the whole session: tests in it must not count on being alone."""
    async with provisioned_namespace() as name:
        yield name


@pytest.fixture(scope="module")
async def private_namespace() -> AsyncIterator[str]:
    """A module's own databases and topics, for tests that assert platform-wide totals."""
    async with provisioned_namespace() as name:
        yield name


@pytest.fixture(scope="session")
async def kafka_producer() -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(
        **operator_options(ServiceSettings(service="test").kafka_bootstrap),
        acks="all",
        enable_idempotence=True,
    )
    await producer.start()
    yield producer
    await producer.stop()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 30.0, what: str = "condition"
) -> None:
    """Wait until `check` holds; fail naming `what` if it does not `within` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.1)


async def partitions_of(bootstrap: str, topic: str) -> list[TopicPartition]:
    async with KafkaLag(bootstrap) as lag:
        return await lag.partitions([topic])


@contextlib.asynccontextmanager
async def assigned_consumer(
    bootstrap: str, partitions: Sequence[TopicPartition], group: str | None = None
) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        **operator_options(bootstrap), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    # aiokafka's stop() right after start() re-raises the cancellation of a group task
    # that has not run yet; one turn of the loop lets it start.
    await asyncio.sleep(0)
    try:
        consumer.assign(list(partitions))
        yield consumer
    finally:
        await consumer.stop()


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    partitions = await partitions_of(bootstrap, topic)
    async with assigned_consumer(bootstrap, partitions) as consumer:
        return dict(await consumer.end_offsets(partitions))


async def caught_up(bootstrap: str, group: str, topics: Sequence[str]) -> bool:
    """Has `group` committed every record now in `topics`?"""
    async with KafkaLag(bootstrap) as lag:
        return await lag.behind(group, await lag.partitions(topics)) == 0


async def services_caught_up(services: Iterable[Service[Any]], bank_topic: str) -> bool:
    """Every subscription of every in-process service has committed all there is (those on
    the bank topics pattern: on `bank_topic`, a logical name), and no outbox holds anything
    unpublished."""
    for service in services:
        runtime = service.runtime
        if await runtime.relay.pending():
            return False
        for subscription in runtime.consumers:
            topics = subscription.topics or [runtime.settings.topic(bank_topic)]
            group = runtime.settings.topic(subscription.consumer.name)
            if not await caught_up(runtime.settings.kafka_bootstrap, group, topics):
                return False
    return True


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record now in `topic`, partition by partition."""
    ends = await end_offsets(bootstrap, topic)
    async with assigned_consumer(bootstrap, list(ends)) as consumer:
        await consumer.seek_to_beginning()
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [p for p, end in ends.items() if await consumer.position(p) < end]:
            batch = await consumer.getmany(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(partition_records)
        return records


async def move_group(bootstrap: str, group: str, topic: str, *, to_end: bool = False) -> None:
    """Commit `group`'s offsets on `topic` at its start (or end), as an operator would."""
    partitions = await partitions_of(bootstrap, topic)
    async with assigned_consumer(bootstrap, partitions, group) as consumer:
        if to_end:
            await consumer.seek_to_end(*partitions)
        else:
            await consumer.seek_to_beginning(*partitions)
        await consumer.commit({p: await consumer.position(p) for p in partitions})


async def publish_event(
    producer: AIOKafkaProducer,
    topic: str,
    data: EventData,
    *,
    source: str,
    key: str,
    event_id: str | None = None,
) -> Envelope:
    """Publish `data` as a structured-mode CloudEvent, as a service or a bank would."""
    event = new_event(
        data.event_name(), source, data.model_dump(mode="json"), subject=key, event_id=event_id
    )
    value, headers = to_structured(event)
    await producer.send_and_wait(topic, value, key=key.encode(), headers=headers)
    return event


def sample_uscc(serial: int, county: str = "140902", tag: str = "MA", head: str = "91") -> str:
    """A valid USCC for test data: `head` (91 an enterprise, 92 an individual business), the
    county, a two-letter tag that keeps one test's codes apart from another's, the serial."""
    body = f"{head}{county}{tag}{serial:07d}"
    return body + uscc_check_character(body)


# --- handler unit tests: no Kafka, no PostgreSQL -----------------------------------------

P = TypeVar("P", bound=EventData)
S = TypeVar("S")


class RecordedSink:
    """The outbox of a handler unit test: keeps what the unit of work flushed."""

    def __init__(self) -> None:
        self.records: list[OutgoingRecord] = []

    async def add(self, records: Sequence[OutgoingRecord]) -> None:
        self.records.extend(records)

    def events(self, name: str | None = None) -> list[Envelope]:
        """The CloudEvents flushed so far (of one type, if named), in order."""
        parsed = [parse_record(r.value, r.headers) for r in self.records]
        events = [e for e in parsed if isinstance(e, Envelope)]
        return [e for e in events if name is None or e.name == name]


def unit_of_work_over(store: S, source: str = "urn:firstloan:test") -> UnitOfWork[S]:
    """A unit of work over an in-memory store, whose records go to a `RecordedSink`
    (`uow._sink`); topics keep their logical names."""
    return UnitOfWork(store, RecordedSink(), lambda topic: topic, source)


def transactions_over(store: S) -> Callable[[], AbstractAsyncContextManager[UnitOfWork[S]]]:
    """What `Runtime.transaction` is to a service, over an in-memory store: each call a unit
    of work of its own (`unit_of_work_over`)."""

    @contextlib.asynccontextmanager
    async def transaction() -> AsyncIterator[UnitOfWork[S]]:
        uow = unit_of_work_over(store)
        yield uow
        await uow.flush()

    return transaction


def recorded(uow: UnitOfWork[object]) -> RecordedSink:
    sink = uow._sink
    assert isinstance(sink, RecordedSink)
    return sink


def message(
    payload: P, *, source: str = "urn:firstloan:test", event_id: str | None = None
) -> Message[P]:
    """`payload` as the consumer would hand it to a handler."""
    envelope = new_event(
        payload.event_name(), source, payload.model_dump(mode="json"), event_id=event_id
    )
    return Message(envelope, payload)


# --- a test service of the runtime's own ---------------------------------------------------


def tally_metadata() -> tuple[MetaData, Table]:
    """The tables of a service made up to test the runtime: its outbox, its inbox, and
    `tally`, which counts applications per USCC (not idempotent by itself, so that a second
    application of anything would show)."""
    metadata = new_metadata()
    outbox_table(metadata)
    inbox_table(metadata)
    tally = Table(
        "tally",
        metadata,
        Column("uscc", Text, primary_key=True),
        Column("n", Integer, nullable=False),
    )
    return metadata, tally


@contextlib.asynccontextmanager
async def runtime_test_storage(
    settings: ServiceSettings, metadata: MetaData, topics: Sequence[TopicSpec]
) -> AsyncIterator[None]:
    """The topics and a fresh database with `metadata`'s tables of a service made up for a
    test; both removed afterwards."""
    await create_topics(settings, topics)
    await drop_database(settings)
    await ensure_database(settings)
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await engine.dispose()
    yield
    await drop_database(settings)
    await delete_topics(settings, [settings.topic(t.name) for t in topics])


def listed_event(uscc: str) -> EnterpriseListed:
    """What the made-up service counts: an enterprise listed in Xinzhou's 忻府区."""
    return EnterpriseListed.model_validate(
        {"uscc": uscc, "name": "忻州示例", "county_code": "140902", "listed_on": "2020-09-05"}
    )


async def add_to_tally(connection: AsyncConnection, tally: Table, uscc: str) -> None:
    statement = pg_insert(tally).values(uscc=uscc, n=1)
    await connection.execute(
        statement.on_conflict_do_update(index_elements=["uscc"], set_={"n": tally.c.n + 1})
    )


async def read_tally(engine: AsyncEngine, tally: Table) -> dict[str, int]:
    async with engine.connect() as connection:
        return {row.uscc: row.n for row in await connection.execute(select(tally))}


# --- fault injection: a PostgreSQL server of the test's own --------------------------------


class ScratchPostgres:
    """A PostgreSQL server of one test, on a free loopback port, that the test may kill
    (SIGKILL of the server and its backends, as a crash) and start again on the same data,
    without touching the PostgreSQL every other test uses."""

    def __init__(self, home: Path, user: str, password: str) -> None:
        self.home = home
        self.user = user
        self.password = password
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
        if not binaries:
            pytest.skip("no PostgreSQL server binaries in /usr/lib/postgresql")
        self.bin = max(binaries, key=lambda p: int(p.parent.name))
        # PostgreSQL refuses to run as root: the server belongs to the postgres account.
        self.owner = "postgres" if os.geteuid() == 0 else None

    def init(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        password_file = self.home / "pw"
        password_file.write_text(self.password + "\n")
        if self.owner:
            shutil.chown(self.home, self.owner)
            shutil.chown(password_file, self.owner)
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.home / "data"), "-U", self.user,
             f"--pwfile={password_file}", "--auth-host=scram-sha-256", "-E", "UTF8"],
            check=True, capture_output=True, user=self.owner,
        )  # fmt: skip

    async def start(self) -> None:
        self._spawn()
        await eventually(self._accepting, within=60, what="the scratch PostgreSQL to start")

    def _spawn(self) -> None:
        self.process = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.home / "data"), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-k", str(self.home), "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, user=self.owner,
            start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL the server and every backend (its process group): a crash."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    async def _accepting(self) -> bool:
        try:
            connection = await asyncpg.connect(
                host="127.0.0.1", port=self.port, user=self.user, password=self.password,
                database="postgres", timeout=2,
            )  # fmt: skip
        except (OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def scratch_postgres(settings: ServiceSettings) -> AsyncIterator[ScratchPostgres]:
    """A started scratch server with `settings`' user and password; removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix="firstloan-pg-"))
    os.chmod(home, 0o755)  # the server's owner must reach its home inside
    server = ScratchPostgres(home / "pg", settings.pg_user, settings.pg_password)
    try:
        server.init()
        await server.start()
        yield server
    finally:
        server.kill()
        shutil.rmtree(home, ignore_errors=True)


EXAMPLE_CAMPAIGNS = Path(__file__).parent / "reference_data" / "examples"
"""Besides the packaged xinzhou-2020: xinzhou-2021 (the same city a year later) and
yunzhou-2020 (a fictional second city, 1499xx, overlapping xinzhou-2020)."""


def campaigns_dir(folder: Path, *examples: str) -> Path:
    """A campaign directory holding the packaged campaign and the named examples."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(PACKAGED_REFERENCE_FILE, folder / PACKAGED_REFERENCE_FILE.name)
    for name in examples:
        shutil.copy(EXAMPLE_CAMPAIGNS / f"{name}.toml", folder / f"{name}.toml")
    return folder
