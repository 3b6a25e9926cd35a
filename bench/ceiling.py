"""The machine's ceiling: how fast a bare aiokafka consumer reads the records the pipeline
reads, with and without parsing each as JSON. The pipeline is measured against it."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer

from shared.bus import operator_options
from shared.testing import partitions_of


async def read_everything(bootstrap: str, topics: Sequence[str], parse: bool) -> tuple[int, float]:
    """(records, seconds) to read every record now in `topics` from the first."""
    consumer = AIOKafkaConsumer(
        **operator_options(bootstrap),
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        partitions = [p for topic in topics for p in await partitions_of(bootstrap, topic)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = sum(ends.values())
        started = time.perf_counter()
        read = 0
        while read < remaining:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for records in batches.values():
                read += len(records)
                if parse:
                    for record in records:
                        json.loads(record.value or b"")
        return read, time.perf_counter() - started
    finally:
        await consumer.stop()
