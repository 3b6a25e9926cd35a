"""Run roster's outbox relay once and die by SIGKILL right after publishing, before the rows
are marked sent: the crash the outbox must survive. Usage: crash_relay.py NAMESPACE"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from roster.settings import RosterSettings
from roster.storage import metadata
from shared import bus
from shared.db import create_engine
from shared.outbox import OutboxRelay


async def die(_: int) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def main(namespace: str) -> None:
    settings = RosterSettings(namespace=namespace)
    relay = OutboxRelay(
        create_engine(settings),
        metadata.tables["outbox"],
        lambda: bus.new_producer(settings),
        after_publish=die,
    )
    published = await relay.relay_once()
    print(f"the relay published {published} rows without dying", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
