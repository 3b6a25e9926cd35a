"""A group robot on loopback: a webhook receiver that answers as a WeCom group robot does
(`{"errcode": 0, "errmsg": "ok"}`) and keeps every notice posted to it, with the path it was
posted to (and, given a file, one JSON line per notice). The demo subscribes it to the
campaign's escalations; tests use it as the receiver a supervisor's webhook would be."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import Receive, Scope, Send


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class GroupRobot:
    """`delay` holds every answer that long (a slow receiver); `errcode` other than 0 refuses
    every message as a robot does (45009: too many messages this minute)."""

    def __init__(
        self,
        port: int | None = None,
        delay: float = 0.0,
        log: Path | None = None,
        errcode: int = 0,
    ) -> None:
        self.port = port or free_port()
        self.delay = delay
        self.log = log
        self.errcode = errcode
        self.bodies: list[tuple[str, dict[str, Any]]] = []
        self.notice_ids: list[tuple[str, str]] = []  # (path, X-Firstloan-Notice-Id) per post

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def posted_to(self, path: str) -> list[dict[str, Any]]:
        return [body for where, body in self.bodies if where == path]

    def notice_ids_at(self, path: str) -> list[str]:
        """The notice id of each post to `path`, as its header carried it."""
        return [notice_id for where, notice_id in self.notice_ids if where == path]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        try:
            body = json.loads(b"".join(chunks))
        except ValueError:
            await _answer(send, 400, {"errcode": 40008, "errmsg": "invalid message"})
            return
        self.bodies.append((scope["path"], body))
        headers = dict(scope.get("headers", ()))
        self.notice_ids.append((scope["path"], headers.get(b"x-firstloan-notice-id", b"").decode()))
        if self.log is not None:
            with self.log.open("a", encoding="utf-8") as lines:
                lines.write(json.dumps({"path": scope["path"], "body": body}, ensure_ascii=False))
                lines.write("\n")
        await asyncio.sleep(self.delay)
        errmsg = "ok" if self.errcode == 0 else "refused"
        await _answer(send, 200, {"errcode": self.errcode, "errmsg": errmsg})

    @contextlib.asynccontextmanager
    async def up(self) -> AsyncIterator[None]:
        """Listening on 127.0.0.1 while the context lasts; down (connections refused) after."""
        config = uvicorn.Config(
            self, host="127.0.0.1", port=self.port, lifespan="off", log_config=None
        )
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()  # could not listen: raise why
                raise RuntimeError(f"the group robot did not listen on port {self.port}")
            await asyncio.sleep(0.02)
        try:
            yield
        finally:
            server.should_exit = True
            await serving


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
