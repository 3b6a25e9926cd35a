"""The assessment pipeline measured from topic to committed read model: records already in
the topics, the service started, the clock stopped when its consumer groups have committed
every record (every record's effect is then committed: offsets follow the database)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import statistics
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from aiokafka import AIOKafkaConsumer

from assessment.app import build
from assessment.commands import KeepUpToDate
from assessment.rebuild import rebuild
from assessment.settings import AssessmentSettings
from bench.workload import Record, Workload, publish
from shared.bus import operator_options
from shared.campaigns import load_campaigns
from shared.contracts.assessment import AttainmentUpdated
from shared.envelope import parse_record
from shared.lag import KafkaLag
from shared.provision import deprovision, provision
from shared.service import Runtime
from shared.testing import partitions_of
from shared.topics import ASSESSMENT_ATTAINMENT, ROSTER_EVENTS

Say = Callable[[str], None]
TODAY = date(2020, 12, 31)


@contextlib.asynccontextmanager
async def bench_namespace() -> AsyncIterator[str]:
    namespace = f"b{secrets.token_hex(4)}"
    await provision(namespace)
    try:
        yield namespace
    finally:
        await deprovision(namespace)


def assessment_settings(namespace: str, **overrides: object) -> AssessmentSettings:
    return AssessmentSettings(
        namespace=namespace,
        run_checkpoints=False,
        clock_date=TODAY,
        tick_seconds=3600.0,
        **overrides,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Consumed:
    records: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


async def consume(
    settings: AssessmentSettings, groups: Mapping[str, Sequence[str]], say: Say
) -> Consumed:
    """Run assessment until each consumer group (by consumer name) has committed every record
    of its topics. The clock starts when the first record is committed, so that joining the
    group is not counted."""
    runtime: Runtime = build(settings).runtime
    async with KafkaLag(settings.kafka_bootstrap) as lag:
        named = {
            settings.topic(f"assessment.{g}"): await lag.partitions(t) for g, t in groups.items()
        }

        async def behind() -> int:
            return sum([await lag.behind(g, p) for g, p in named.items()])

        total = await behind()
        async with runtime.running():
            left, started = total, time.perf_counter()
            while left == total and total:
                await asyncio.sleep(0.05)
                left, started = await behind(), time.perf_counter()
            counted_from = left
            last_said = time.perf_counter()
            while left:
                await asyncio.sleep(0.1)
                left = await behind()
                if time.perf_counter() - last_said > 15:
                    say(f"  ... {total - left:,} of {total:,}")
                    last_said = time.perf_counter()
            elapsed = time.perf_counter() - started
    return Consumed(counted_from, elapsed)


async def seed(settings: AssessmentSettings, workload: Workload, say: Say) -> Consumed:
    """The enterprises listed and assessed once: roster events stored as facts alone (as a
    rebuild does), then every enterprise evaluated at once, as the daily tick does."""
    await publish(settings, workload.listings())
    facts_only = settings.model_copy(
        update={"evaluate_each_batch": False, "consumer_batch_size": 5000}
    )
    stored = await consume(facts_only, {"roster": [settings.topic(ROSTER_EVENTS)]}, say)
    app = build(settings)
    runtime = app.runtime
    handlers = app.handlers
    started = time.perf_counter()
    async with runtime.transaction() as uow:
        await handlers.keep_up_to_date(uow, KeepUpToDate(run_checkpoints=False))
    await runtime.engine.dispose()
    return Consumed(stored.records, stored.seconds + time.perf_counter() - started)


async def bank_run(
    settings: AssessmentSettings, workload: Workload, loans: list[Record], say: Say
) -> Consumed:
    await publish(settings, loans)
    return await consume(settings, {"bank": workload.bank_topics}, say)


async def timed_rebuild(settings: AssessmentSettings) -> tuple[float, bool, int]:
    """(seconds, rebuilt equal to live, records replayed)."""
    started = time.perf_counter()
    rebuilt = await rebuild(settings)
    return time.perf_counter() - started, rebuilt.equal, rebuilt.records


@dataclass(frozen=True)
class Latency:
    samples: int
    p50_ms: float
    p99_ms: float


async def latency(enterprises: int, rate: int, seconds: float, say: Say) -> Latency:
    """LoanIssued published -> AttainmentUpdated published counting it, at a steady offered
    load. Loans go to enterprises without one, one bank's n-th loan makes its n-th first loan:
    the latency of loan n is the first update of its bank's first loans reaching n."""
    async with bench_namespace() as namespace:
        settings = assessment_settings(namespace)
        workload = Workload(settings, load_campaigns().sole(), enterprises)
        await seed(settings, workload, say)
        count = int(rate * seconds)
        loans = workload.loans(count)
        runtime: Runtime = build(settings).runtime
        topic = settings.topic(ASSESSMENT_ATTAINMENT)
        watcher = AIOKafkaConsumer(**operator_options(settings.kafka_bootstrap))
        await watcher.start()
        updates: list[tuple[float, str, int]] = []
        try:
            partitions = await partitions_of(settings.kafka_bootstrap, topic)
            watcher.assign(partitions)
            await watcher.seek_to_end(*partitions)
            for p in partitions:
                await watcher.position(p)

            async def watch() -> None:
                while True:
                    batches = await watcher.getmany(timeout_ms=50)
                    now = time.perf_counter()
                    for records in batches.values():
                        for r in records:
                            event = parse_record(r.value, r.headers)
                            data = getattr(event, "data", None)
                            if isinstance(data, dict) and data.get("level") == "institution":
                                update = AttainmentUpdated.model_validate(data)
                                updates.append((now, update.unit_id, update.first_loans))

            async with runtime.running():
                await asyncio.sleep(5)  # joined the group
                watching = asyncio.create_task(watch())
                sent = await _offer(settings, loans, rate)
                await asyncio.sleep(3)
                watching.cancel()
        finally:
            await watcher.stop()
    return _latencies(sent, loans, updates)


async def _offer(settings: AssessmentSettings, loans: list[Record], rate: int) -> list[float]:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(**operator_options(settings.kafka_bootstrap), acks="all")
    await producer.start()
    sent: list[float] = []
    try:
        started = time.perf_counter()
        for n, record in enumerate(loans):
            due = started + n / rate
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            await producer.send(record.topic, record.value, key=record.key)
            sent.append(time.perf_counter())
        await producer.flush()
    finally:
        await producer.stop()
    return sent


def _latencies(
    sent: list[float], loans: list[Record], updates: list[tuple[float, str, int]]
) -> Latency:
    nth: dict[str, int] = {}
    wanted: list[tuple[str, int, float]] = []
    for at, record in zip(sent, loans, strict=True):
        bank = record.topic.rsplit(".", 2)[-2]
        nth[bank] = nth.get(bank, 0) + 1
        wanted.append((bank, nth[bank], at))
    reached: dict[str, list[tuple[int, float]]] = {}
    for at, bank, first_loans in updates:
        reached.setdefault(bank, []).append((first_loans, at))
    delays = []
    for bank, n, at in wanted:
        seen = next((t for count, t in reached.get(bank, []) if count >= n), None)
        if seen is not None:
            delays.append((seen - at) * 1000)
    if len(delays) < 2:
        return Latency(len(delays), float("nan"), float("nan"))
    cuts = statistics.quantiles(delays, n=100)
    return Latency(len(delays), cuts[49], cuts[98])
