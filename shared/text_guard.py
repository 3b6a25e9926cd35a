"""Text PostgreSQL cannot store never reaches a handler: a NUL character or a lone UTF-16
surrogate (legal in JSON and in URLs, never storable as text), or bytes that are not UTF-8,
in the path, the query or a JSON body, are answered 422, naming the field, before any
service code runs. So is a JSON body nested deeper than any documented shape: parsing and
validating one recurses as deep as it nests, and would end in a RecursionError (a 500) or
worse, the worker's stack. A JSON body larger than any documented one is answered 413 as soon
as it passes the limit, unread beyond it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The largest documented body, a batch of 5,000 nominations, is a few MB.
MAX_JSON_BODY = 32 * 1024 * 1024
TOO_LARGE = f"a JSON body is at most {MAX_JSON_BODY // (1024 * 1024)} MiB"
# No documented body nests beyond four levels (a talk's attendees' fields); a margin, not a
# shape: whatever nests deeper is not any of them.
MAX_JSON_DEPTH = 32
NESTED_TOO_DEEPLY = f"nested deeper than {MAX_JSON_DEPTH} levels"
UNSTORABLE = "contains a NUL character or an unpaired surrogate"


def unstorable_fields(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, str):
        if not _storable(value):
            yield path or "(body)"
    elif isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if not _storable(str(key)):
                yield path or "(body)"
            yield from unstorable_fields(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unstorable_fields(item, f"{path}.{index}" if path else str(index))


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TextGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = _address_problems(scope)
        if address:
            await _reject(send, [(field, UNSTORABLE) for field in address])
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return
        read = await _read(receive, MAX_JSON_BODY)
        if read is None:
            await _reject(send, [("(body)", TOO_LARGE)], status=413)
            return
        messages, body = read
        problems = _check(body)
        if problems:
            await _reject(send, problems)
            return
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, {"type": "http.request", "body": b"", "more_body": False})

        await self.app(scope, replayed, send)


def _address_problems(scope: Scope) -> list[str]:
    problems = ["(path)"] if not _storable(scope.get("path", "")) else []
    try:
        pairs = parse_qsl(
            scope.get("query_string", b"").decode("latin-1"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
        )
    except UnicodeDecodeError:
        return [*problems, "(query)"]
    return problems + sorted(
        {name for name, value in pairs if not (_storable(name) and _storable(value))}
    )


def _storable(text: str) -> bool:
    return "\x00" not in text and _encodes(text)


def _is_json(scope: Scope) -> bool:
    """Whether the routes will parse the body as JSON: a media type of JSON, in any case
    (`Application/JSON`) or as a suffix (`application/merge-patch+json`)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


async def _read(receive: Receive, limit: int) -> tuple[list[Message], bytes] | None:
    """The request's messages and its body; None once the body passes `limit` bytes."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > limit:
            return None
        if message["type"] != "http.request" or not message.get("more_body"):
            return messages, b"".join(chunks)


def _check(body: bytes) -> list[tuple[str, str]]:
    """(field, problem) of each thing refused in `body`."""
    if not body:
        return []
    try:
        document = json.loads(body)
    except RecursionError:
        return [("(body)", NESTED_TOO_DEEPLY)]
    except (ValueError, UnicodeDecodeError):
        return []  # not JSON at all: the route's own validation answers that
    if nested_deeper_than(document, MAX_JSON_DEPTH):
        return [("(body)", NESTED_TOO_DEEPLY)]
    return [(field, UNSTORABLE) for field in sorted(set(unstorable_fields(document)))]


def nested_deeper_than(document: Any, limit: int) -> bool:
    """Whether arrays and objects in `document` nest more than `limit` levels (without
    recursing: the document may nest as deep as the parser allowed)."""
    pending: list[tuple[dict[str, Any] | list[Any], int]] = []
    if isinstance(document, dict | list):
        pending.append((document, 1))
    while pending:
        value, depth = pending.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        pending.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


async def _reject(send: Send, problems: list[tuple[str, str]], status: int = 422) -> None:
    detail = [{"field": field, "message": message} for field, message in problems]
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
