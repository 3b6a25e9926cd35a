"""Work that the infrastructure interrupted is done again whole, after a growing pause.

A unit of work runs in one transaction: when PostgreSQL goes away in the middle of it (a
restart, a crash, a dead pooled connection), the transaction is rolled back and nothing of
it happened, so the whole of it may simply run again once the database is back. Consumers
do so by having their batch redelivered (shared.consumer); HTTP requests by
`RetryTransient`, which serves the same request again from its first byte.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from shared.db import is_transient

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
AsgiMessage = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[AsgiMessage]]
Send = Callable[[AsgiMessage], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


def backoff_seconds(failures: int, cap: float, first: float = 0.5) -> float:
    """The pause after the `failures`-th failure in a row: doubling from `first`, at most
    `cap`."""
    return float(min(cap, first * 2 ** min(max(failures - 1, 0), 16)))


class RetryTransient:
    """ASGI middleware: a request whose handling failed because the database (or the
    broker) was unreachable, before any byte of the answer was sent, is handled again whole
    with backoff for up to `patience` seconds, then answered 503 with `Retry-After`.

    Its transaction was rolled back, so nothing of the failed attempt remains. (A commit cut
    off on its way back cannot tell whether it took effect: the write is then served again,
    as a client's own retry would be, and the caller's identifiers decide what a repeated
    write does.)"""

    def __init__(self, app: Asgi, patience: float = 30.0, cap: float = 4.0) -> None:
        self.app = app
        self.patience = patience
        self.cap = cap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = _Recorded(receive)
        deadline = time.monotonic() + self.patience
        failures = 0
        while True:
            answered = False

            async def sending(message: AsgiMessage) -> None:
                nonlocal answered
                answered = answered or message["type"] == "http.response.start"
                await send(message)

            try:
                await self.app(scope, request.replay(), sending)
                return
            except Exception as error:
                if answered or not is_transient(error):
                    raise
                failures += 1
                pause = backoff_seconds(failures, self.cap)
                if time.monotonic() + pause > deadline:
                    log.error("%s %s: still unavailable; 503", scope["method"], scope["path"])
                    await _unavailable(send, pause)
                    return
                log.warning(
                    "%s %s: infrastructure unavailable (%s); serving it again in %.1fs",
                    scope["method"],
                    scope["path"],
                    type(error).__name__,
                    pause,
                )
                await asyncio.sleep(pause)


class _Recorded:
    """The request's messages as the app reads them (never more than it reads: a route
    refused before its body is read never reads it), so that each attempt reads the same
    bytes from the first."""

    def __init__(self, receive: Receive) -> None:
        self.receive = receive
        self.messages: list[AsgiMessage] = []

    def replay(self) -> Receive:
        position = 0

        async def replayed() -> AsgiMessage:
            nonlocal position
            if position == len(self.messages):
                self.messages.append(await self.receive())
            message = self.messages[position]
            position += 1
            return message

        return replayed


async def _unavailable(send: Send, retry_after: float) -> None:
    body = json.dumps(
        {
            "detail": [{"field": "(service)", "message": "the database or broker is unavailable"}],
            "error": "unavailable",
        }
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"retry-after", str(max(1, round(retry_after))).encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
