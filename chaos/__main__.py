"""`make chaos`: the platform under a steady load while faults hit it, then its figures.

Against the running Kafka cluster (`make up CLUSTER=3`) and PostgreSQL, in a namespace of
its own (topics and databases `chaos…`, dropped afterwards): starts the four services,
sends the load (chaos.load) while injecting the faults (chaos.faults), waits until every
consumer and relay has caught up, and prints, one per line:

    events sent: N
    faults injected: N
    lost: 0
    double-counted: 0
    dead letters = bad inputs: D = B
    outbox unpublished: 0
    live = recompute

Exits 1 when a figure is wrong, 2 when the stack is not as it must be.
Usage: python -m chaos [--rounds N] [--rate PER_SECOND] [--seed N] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import sys
import time

from chaos import stack
from chaos.faults import SESSION_TIMEOUT_SECONDS, Faults
from chaos.figures import Figures, measure, runtimes, settled
from chaos.inputs import UNKNOWN_INSTITUTION
from chaos.load import Load
from shared.bus import create_topics, delete_topics
from shared.campaigns import load_campaigns
from shared.provision import deprovision, provision
from shared.settings import ServiceSettings
from shared.topics import TopicSpec

log = logging.getLogger("chaos")
SETTLE_SECONDS = 300.0


def report(sent_events: int, faults: int, figures: Figures) -> list[str]:
    equal = "=" if figures.dead_letters == figures.bad_inputs else "!="
    return [
        f"events sent: {sent_events}",
        f"faults injected: {faults}",
        f"lost: {figures.lost}",
        f"double-counted: {figures.double_counted}",
        f"dead letters {equal} bad inputs: {figures.dead_letters} {equal} {figures.bad_inputs}",
        f"outbox unpublished: {figures.outbox_unpublished}",
        "live = recompute" if figures.live_equals_recompute else "live != recompute",
    ]


async def wait_settled(namespace: str) -> bool:
    """Twice in a row, a few seconds apart: a relay may publish what a consumer just did."""
    deadline = time.monotonic() + SETTLE_SECONDS
    async with runtimes(namespace) as services:
        streak = 0
        while time.monotonic() < deadline:
            try:
                streak = streak + 1 if await settled(services) else 0
            except Exception:
                log.info("looking at the lag failed; trying again", exc_info=True)
                streak = 0
            if streak >= 2:
                return True
            await asyncio.sleep(3)
    return False


async def run(rounds: int, rate: float, seed: int, keep: bool) -> int:
    if not stack.cluster_running():
        log.error("no Kafka cluster is running: make up CLUSTER=3 first")
        return 2
    if running := [s for s in stack.SERVICES if stack.pid_of(s)]:
        log.error("services already running (%s): make down first", ", ".join(running))
        return 2
    started = time.monotonic()
    namespace = f"chaos{secrets.token_hex(3)}"
    log.warning("namespace %s, seed %d", namespace, seed)
    await provision(namespace)
    settings = ServiceSettings(service="chaos", namespace=namespace)
    await create_topics(settings, [TopicSpec(f"bank.{UNKNOWN_INSTITUTION}.events")])
    environment = {
        "FIRSTLOAN_NAMESPACE": namespace,
        "FIRSTLOAN_CONSUMER_SESSION_TIMEOUT_MS": str(int(SESSION_TIMEOUT_SECONDS * 1000)),
        "FIRSTLOAN_OUTBOX_STALL_SECONDS": "10",
        "FIRSTLOAN_TOPIC_DISCOVERY_SECONDS": "2",
    }
    reference = load_campaigns(settings.campaigns).sole()
    load = Load(settings, reference, seed, rate)
    try:
        await stack.start_services(environment)
        faults = Faults(settings, environment, seed)
        injecting = asyncio.create_task(faults.run(rounds, started))
        await load.run(done=injecting.done)
        await injecting  # its failure, if any, is the run's
        log.warning("[%5.1fs] load and faults over; waiting for the platform to settle",
                    time.monotonic() - started)  # fmt: skip
        if not await wait_settled(namespace):
            log.error("the platform did not settle within %.0fs", SETTLE_SECONDS)
        unknown = await load.unknown_nominations()
        bank_topics = [settings.topic(reference.bank_topic(i.id)) for i in reference.institutions]
        bank_topics.append(settings.topic(f"bank.{UNKNOWN_INSTITUTION}.events"))
        async with runtimes(namespace) as services:
            figures = await measure(
                namespace, services, load.sent.valid_events, bank_topics, unknown
            )
        sent = load.sent
        log.warning(
            "%d bank records (%d bad: %d x %d consumers of bank topics), %d nominations "
            "(%d bad), %d HTTP and %d bank sends retried; %s",
            sent.bank_records + sent.bad_records,
            sent.bad_records,
            figures.bad_records,
            figures.bank_consumers,
            sent.nominations + sent.bad_nominations,
            sent.bad_nominations,
            sent.http_retries,
            sent.send_retries,
            figures.recompute,
        )
        for problem in sent.unexpected[:20]:
            log.error("unexpected answer: %s", problem)
        for line in report(sent.events + sent.bad_records, faults.injected, figures):
            print(line, flush=True)
        log.warning("chaos run took %.0fs", time.monotonic() - started)
        return 0 if figures.good and not sent.unexpected else 1
    finally:
        await load.close()
        await stack.stop_services(environment)
        if not keep:
            await deprovision(namespace)
            await delete_topics(settings, [settings.topic(f"bank.{UNKNOWN_INSTITUTION}.events")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="every fault this many times")
    parser.add_argument("--rate", type=float, default=4.0, help="enterprises per second")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CHAOS_SEED", "13")))
    parser.add_argument("--keep", action="store_true", help="keep the namespace's data")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    # The clients' own complaints while a node is down are expected; the run says what
    # it retried.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    sys.exit(asyncio.run(run(args.rounds, args.rate, args.seed, args.keep)))


if __name__ == "__main__":
    main()
