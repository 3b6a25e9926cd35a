"""The faults of a chaos run, one after the other at random moments: kill -9 of each service
(restarted at once, as a supervisor would), a clean restart and a kill of a Kafka node, a
restart of PostgreSQL, and SIGSTOP of a service past its consumers' session timeout."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chaos import stack
from shared.lag import KafkaLag
from shared.settings import ServiceSettings
from shared.testing import cluster_size

log = logging.getLogger("chaos")
SESSION_TIMEOUT_SECONDS = 6.0
PAUSE_SECONDS = SESSION_TIMEOUT_SECONDS + 4
NODE_DOWN_SECONDS = 5.0


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[], Awaitable[None]]


class Faults:
    def __init__(self, settings: ServiceSettings, environment: dict[str, str], seed: int) -> None:
        self.settings = settings
        self.environment = environment
        self.random = random.Random(seed)
        self.injected = 0

    def round(self) -> list[Fault]:
        """Every kind of fault once, in a random order."""
        faults = [Fault(f"kill -9 {s}", self._killer(s)) for s in stack.SERVICES]
        node = self.random.randint(1, cluster_size())
        faults.append(Fault(f"restart of kafka-{node}", self._node(node, kill=False)))
        node = self.random.randint(1, cluster_size())
        faults.append(Fault(f"kill -9 kafka-{node}", self._node(node, kill=True)))
        faults.append(Fault("restart of postgres", stack.restart_postgres))
        paused = self.random.choice(stack.SERVICES)
        faults.append(
            Fault(
                f"SIGSTOP {paused} for {PAUSE_SECONDS:.0f}s",
                lambda: stack.pause_service(paused, PAUSE_SECONDS),
            )
        )
        self.random.shuffle(faults)
        return faults

    async def run(self, rounds: int, started: float) -> None:
        faults = [f for _ in range(rounds) for f in self.round()]
        for number, fault in enumerate(faults, 1):
            await asyncio.sleep(self.random.uniform(1, 4))
            log.warning(
                "[%5.1fs] fault %d/%d: %s",
                time.monotonic() - started,
                number,
                len(faults),
                fault.name,
            )
            await fault.inject()
            self.injected += 1
            # Back to a whole platform before the next fault: every service up, every replica
            # in sync (faults one at a time; each must be survived on its own).
            await stack.start_services(self.environment)
            await self.in_sync()

    def _killer(self, service: str) -> Callable[[], Awaitable[None]]:
        async def kill_and_restart() -> None:
            await stack.kill_service(service)
            await asyncio.sleep(self.random.uniform(0, 1))
            await stack.start_services(self.environment)

        return kill_and_restart

    def _node(self, node: int, *, kill: bool) -> Callable[[], Awaitable[None]]:
        async def fault() -> None:
            # One node down at a time: two in-sync replicas must remain for acks=all.
            await self.in_sync()
            if kill:
                await stack.kill_kafka_node(node)
                await asyncio.sleep(NODE_DOWN_SECONDS)
                await stack.start_kafka_node(node)
            else:
                await stack.restart_kafka_node(node)

        return fault

    async def in_sync(self, within: float = 120.0) -> None:
        """Wait until every partition of the run's topics has all its replicas in sync."""
        deadline = time.monotonic() + within
        prefix = f"{self.settings.namespace}."
        while time.monotonic() < deadline:
            try:
                async with KafkaLag(self.settings.kafka_bootstrap) as lag:
                    names = [t for t in await lag.admin.list_topics() if t.startswith(prefix)]
                    described = await lag.admin.describe_topics(names)
                lagging = [
                    p
                    for topic in described
                    for p in topic["partitions"]
                    if len(p["isr"]) < len(p["replicas"])
                ]
                if not lagging:
                    return
            except Exception:
                log.info("describing the cluster failed; trying again", exc_info=True)
            await asyncio.sleep(1)
        log.warning("replicas still catching up after %.0fs; going on", within)
