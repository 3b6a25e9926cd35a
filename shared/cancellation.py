"""Loops that survive their own errors must still end when they are cancelled.

A cancellation can be lost on its way: Python 3.11's `asyncio.wait_for` swallows it when the
awaited operation completes at the same moment, and a library may turn it into an ordinary
exception. A loop that logs and retries every exception, or that simply loops, would then
outlive its service. The task still counts the request (`Task.cancelling()`), so
`raise_if_cancelling()` at the top of each round, and in each catch-all handler, ends it.
"""

from __future__ import annotations

import asyncio


def raise_if_cancelling() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
