"""The figures `make chaos` holds the platform to, read from what the services keep (their
inboxes, audit trails and outboxes, through each service's own runtime) and from the log.

- lost: a valid event some consumer handles that is not in that service's inbox (bank events
  the load sent, and every event a service's outbox published), or a nomination answered 201
  that roster does not know;
- double-counted: an event applied more than once (each application of a bank record is
  audited in its own transaction, so two audit records of one event are two applications);
- dead letters = bad inputs: the distinct dead letters (consumer, topic, partition, offset)
  against the bad records on the bank topics times the consumers of bank topics;
- outbox unpublished, and live = recompute (`firstloan assessment rebuild`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

import assessment.app
import ledger.app
import matchmaking.app
import roster.app
from assessment.rebuild import rebuild
from assessment.settings import AssessmentSettings
from chaos.inputs import BAD_MARK
from ledger.settings import LedgerSettings
from matchmaking.settings import MatchmakingSettings
from roster.settings import RosterSettings
from shared.consumer import ConsumedRecord, Message
from shared.envelope import DeadLetterReason
from shared.outbox import stored_record
from shared.replay import unconsumed
from shared.service import Runtime, Service
from shared.testing import read_topic
from shared.topics import DEAD_LETTER

DedupKey = tuple[str, str]


@contextlib.asynccontextmanager
async def runtimes(namespace: str) -> AsyncIterator[dict[str, Runtime]]:
    """Each service's runtime as the service builds it (its consumers, inbox, outbox, audit
    trail), in the run's namespace; nothing is started."""
    apps: dict[str, Service[Any]] = {
        "roster": roster.app.build(RosterSettings(namespace=namespace)),
        "matchmaking": matchmaking.app.build(MatchmakingSettings(namespace=namespace)),
        "ledger": ledger.app.build(LedgerSettings(namespace=namespace)),
        "assessment": assessment.app.build(AssessmentSettings(namespace=namespace)),
    }
    built = {name: app.runtime for name, app in apps.items()}
    try:
        yield built
    finally:
        for runtime in built.values():
            await runtime.engine.dispose()


async def settled(services: dict[str, Runtime]) -> bool:
    """Has every consumer committed everything in its topics, and every relay published
    everything in its outbox?"""
    for runtime in services.values():
        if await runtime.relay.pending() or await unconsumed(runtime):
            return False
    return True


@dataclass(frozen=True)
class Figures:
    lost: int
    double_counted: int
    dead_letters: int
    bad_inputs: int
    bad_records: int
    bank_consumers: int
    outbox_unpublished: int
    live_equals_recompute: bool
    recompute: str

    @property
    def good(self) -> bool:
        return (
            self.lost == 0
            and self.double_counted == 0
            and self.dead_letters == self.bad_inputs
            and self.outbox_unpublished == 0
            and self.live_equals_recompute
        )


async def inbox_keys(runtime: Runtime) -> set[DedupKey]:
    table = runtime.inbox.table
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(select(table.c.source, table.c.event_id))
        return {(row.source, row.event_id) for row in rows}


async def applied_more_than_once(runtime: Runtime) -> int:
    """Bank records the audit's batch rows count as applied beyond the inbox's claims: a
    record applied twice (each claim is unique, each application is counted)."""
    if runtime.audit is None:
        return 0
    async with runtime.engine.connect() as connection:
        return await runtime.audit.applied_beyond_claims(connection, runtime.inbox.table)


def bank_types(runtime: Runtime) -> set[str]:
    """The bank event types the service's bank consumer applies."""
    return {
        model.event_name()
        for subscription in runtime.consumers
        if subscription.pattern is not None
        for model in subscription.consumer.registry.types
    }


async def published_but_unapplied(
    services: dict[str, Runtime], inboxes: dict[str, set[DedupKey]]
) -> int:
    """Events in some service's outbox (so published, or about to be) that a consumer of
    their topic handles but whose service's inbox lacks."""
    missing = 0
    for producer in services.values():
        table = producer.outbox.table
        async with producer.engine.connect() as connection:
            rows = (await connection.execute(select(table))).all()
        for row in rows:
            stored = stored_record(row)
            record = ConsumedRecord(
                stored.topic, 0, 0, stored.key, stored.value, tuple(stored.headers)
            )
            for name, consumer_runtime in services.items():
                for subscription in consumer_runtime.consumers:
                    if row.topic not in subscription.topics:
                        continue
                    outcome = subscription.consumer.accept(record)
                    if isinstance(outcome, Message) and subscription.consumer.registry.handles(
                        outcome
                    ):
                        missing += outcome.envelope.dedup_key not in inboxes[name]
    return missing


async def dead_letters(runtime: Runtime) -> int:
    settings = runtime.settings
    records = await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER))
    places = set()
    for record in records:
        headers = dict(record.headers)
        places.add(
            tuple(
                headers.get(n) for n in ("dlq_consumer", "dlq_topic", "dlq_partition", "dlq_offset")
            )
        )
    return len(places)


async def bad_records_on(runtime: Runtime, topics: Iterable[str]) -> int:
    """The bad records on the log, as the platform must see them: each record that cannot
    be an event is bad input wherever it lies, while a conflicting duplicate is one piece
    of bad input per content, however often it was delivered (its copies are copies)."""
    bootstrap = runtime.settings.kafka_bootstrap
    count = 0
    conflicts: set[bytes | None] = set()
    for topic in topics:
        for record in await read_topic(bootstrap, topic):
            kind = dict(record.headers).get(BAD_MARK)
            if kind == DeadLetterReason.CONFLICTING_DUPLICATE.value.encode():
                conflicts.add(record.value)
            elif kind is not None:
                count += 1
    return count + len(conflicts)


async def measure(
    namespace: str,
    services: dict[str, Runtime],
    valid_bank_events: dict[DedupKey, str],
    bank_topics: list[str],
    nominated_but_unknown: int,
) -> Figures:
    inboxes = {name: await inbox_keys(runtime) for name, runtime in services.items()}
    lost = nominated_but_unknown
    for name, runtime in services.items():
        handled = bank_types(runtime)
        lost += sum(
            key not in inboxes[name]
            for key, type_name in valid_bank_events.items()
            if type_name in handled
        )
    lost += await published_but_unapplied(services, inboxes)
    doubled = 0
    for runtime in services.values():
        doubled += await applied_more_than_once(runtime)
    consumers = sum(1 for runtime in services.values() if bank_types(runtime))
    bad = await bad_records_on(services["roster"], bank_topics)
    pending = 0
    for runtime in services.values():
        pending += await runtime.relay.pending()
    result = await rebuild(AssessmentSettings(namespace=namespace))
    live = result.live
    return Figures(
        lost=lost,
        double_counted=doubled,
        dead_letters=await dead_letters(services["roster"]),
        bad_inputs=bad * consumers,
        bad_records=bad,
        bank_consumers=consumers,
        outbox_unpublished=pending,
        live_equals_recompute=result.equal and not result.live_behind,
        recompute=(
            f"{live.cultivated} cultivated, {live.first_loans} first loans live; "
            f"{result.rebuilt.cultivated} cultivated, {result.rebuilt.first_loans} rebuilt "
            f"from {result.records} records"
        ),
    )
