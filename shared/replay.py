"""Rebuilding a service's state: replay every input topic from its first record into fresh
tables, through the very consumers the service runs, so the result must equal the live one.

The rebuild reads with its own consumer (no group, no offsets committed): the running
service is not disturbed. Events the replay causes stay in the scratch outbox, unpublished.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.bus import client_options
from shared.consumer import ConsumedRecord
from shared.lag import KafkaLag
from shared.provision import drop_database, ensure_database
from shared.service import Runtime, Subscription

Progress = Callable[[str, int, int], None]
"""Called with (consumer name, records done, records in all) as the replay advances."""


async def partitions_of(lag: KafkaLag, subscription: Subscription) -> list[TopicPartition]:
    """Every partition the subscription reads now (a pattern is matched against the topics
    that exist)."""
    topics = subscription.topics
    if subscription.pattern is not None:
        pattern = re.compile(subscription.pattern)
        topics = sorted(n for n in await lag.admin.list_topics() if pattern.match(n))
    return await lag.partitions(topics)


async def replay(runtime: Runtime, progress: Progress = lambda *_: None) -> int:
    """Feed every subscription the whole of its topics as they stand now; return the count."""
    total = 0
    for subscription in runtime.consumers:
        total += await _replay_one(runtime, subscription, progress)
    return total


async def _replay_one(runtime: Runtime, subscription: Subscription, progress: Progress) -> int:
    settings = runtime.settings
    async with KafkaLag(runtime.settings.kafka_bootstrap) as lag:
        partitions = await partitions_of(lag, subscription)
    if not partitions:
        return 0
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False)
    await consumer.start()
    # aiokafka's stop() right after start() re-raises the cancellation of a group task
    # that has not run yet; one turn of the loop lets it start.
    await asyncio.sleep(0)
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        starts = {p: await consumer.position(p) for p in partitions}
        ends = await consumer.end_offsets(partitions)
        size = sum(ends[p] - starts[p] for p in partitions)
        done = 0
        name = subscription.consumer.name
        while done < size:
            batches = await consumer.getmany(
                timeout_ms=1000, max_records=settings.consumer_batch_size
            )
            records = [
                ConsumedRecord.from_kafka(r)
                for tp, rs in batches.items()
                for r in rs
                if r.offset < ends[tp]
            ]
            if records:
                await subscription.consumer.process(records)
                done += len(records)
                progress(name, done, size)
            if not [p for p in partitions if await consumer.position(p) < ends[p]]:
                break
        return done
    finally:
        await consumer.stop()


async def fresh_database(runtime: Runtime) -> None:
    await drop_database(runtime.settings)
    await ensure_database(runtime.settings)


async def unconsumed(runtime: Runtime) -> int:
    """Records in the service's input topics that its live consumer groups have not yet
    committed: a live state that is behind cannot be compared with a replay."""
    settings = runtime.settings
    behind = 0
    async with KafkaLag(settings.kafka_bootstrap) as lag:
        for subscription in runtime.consumers:
            partitions = await partitions_of(lag, subscription)
            if partitions:
                group = settings.topic(subscription.consumer.name)
                behind += await lag.behind(group, partitions)
    return behind
