"""`firstloan up|down|status`: the platform on this machine."""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"roster": 8101, "matchmaking": 8102, "ledger": 8103, "assessment": 8104}


def stack(command: str) -> int:
    """Run deploy/stack.sh COMMAND, streaming its output; return its exit code."""
    return subprocess.call([str(ROOT / "deploy" / "stack.sh"), command])


@dataclass(frozen=True)
class ServiceHealth:
    name: str
    port: int
    healthy: bool
    detail: str


def service_health(host: str = "127.0.0.1") -> list[ServiceHealth]:
    found = []
    for name, port in SERVICES.items():
        try:
            response = httpx.get(f"http://{host}:{port}/health", timeout=3)
            body = response.json()
            detail = f"database {body.get('database')}, kafka {body.get('kafka')}"
            found.append(ServiceHealth(name, port, response.status_code == 200, detail))
        except (httpx.HTTPError, ValueError) as error:
            found.append(
                ServiceHealth(name, port, False, f"not answering ({type(error).__name__})")
            )
    return found


def process_running(name: str) -> bool:
    pid_file = ROOT / ".state" / "run" / f"{name}.pid"
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return False
    return Path(f"/proc/{pid}").exists()


@dataclass(frozen=True)
class GroupLag:
    group: str
    lag: int
    partitions: int


def is_platform_group(group: str) -> bool:
    """The services' own groups are `<service>.<subscription>`; test namespaces' are not."""
    return group.split(".", 1)[0] in SERVICES


class LagProbe:
    """Consumer lag per group, with one admin client and one consumer kept open between
    looks (starting Kafka clients costs far more than asking)."""

    def __init__(self, bootstrap: str, every_group: bool = False) -> None:
        self.every_group = every_group
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)

    async def __aenter__(self) -> LagProbe:
        await self.admin.start()
        await self.consumer.start()
        await asyncio.sleep(0)  # let aiokafka's group task start before any stop()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def lag(self) -> list[GroupLag]:
        groups = sorted(
            g[0]
            for g in await self.admin.list_consumer_groups()
            if self.every_group or is_platform_group(g[0])
        )
        committed = {g: await self.admin.list_consumer_group_offsets(g) for g in groups}
        partitions = {tp for offsets in committed.values() for tp in offsets}
        ends: dict[TopicPartition, int] = (
            await self.consumer.end_offsets(list(partitions)) if partitions else {}
        )
        return [
            GroupLag(
                group,
                sum(max(ends.get(tp, 0) - meta.offset, 0) for tp, meta in offsets.items()),
                len(offsets),
            )
            for group, offsets in committed.items()
        ]


async def consumer_lag(bootstrap: str, every_group: bool = False) -> list[GroupLag]:
    """Records not yet committed by each consumer group, over the partitions it committed."""
    async with LagProbe(bootstrap, every_group) as probe:
        return await probe.lag()
