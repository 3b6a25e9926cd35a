"""How far behind a consumer group is: the records in its partitions it has not committed.

One admin client and one consumer stay open between looks, since starting Kafka clients
costs far more than asking. Used by `firstloan status`, the demo, rebuilds and tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Self

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.bus import operator_options


class KafkaLag:
    def __init__(self, bootstrap: str) -> None:
        self.admin = AIOKafkaAdminClient(**operator_options(bootstrap))
        self.consumer = AIOKafkaConsumer(**operator_options(bootstrap))

    async def __aenter__(self) -> Self:
        await self.admin.start()
        await self.consumer.start()
        await asyncio.sleep(0)  # let aiokafka's group task start before any stop()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def groups(self) -> list[str]:
        return sorted(g[0] for g in await self.admin.list_consumer_groups())

    async def partitions(self, topics: Collection[str]) -> list[TopicPartition]:
        described = await self.admin.describe_topics(list(topics)) if topics else []
        return [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            for partition in topic["partitions"]
        ]

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        offsets = await self.admin.list_consumer_group_offsets(group)
        return {partition: meta.offset for partition, meta in offsets.items()}

    async def behind(self, group: str, partitions: Collection[TopicPartition] | None = None) -> int:
        """Records `group` has not committed in `partitions` (by default, those it has
        committed in); a partition it never committed in counts from its start."""
        committed = await self.committed(group)
        wanted = list(committed if partitions is None else partitions)
        if not wanted:
            return 0
        ends = await self.consumer.end_offsets(wanted)
        return sum(max(ends[p] - committed.get(p, 0), 0) for p in wanted)
