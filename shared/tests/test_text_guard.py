"""Text PostgreSQL cannot store is refused at the door, with the field named."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from shared.text_guard import (
    MAX_JSON_BODY,
    MAX_JSON_DEPTH,
    TextGuard,
    nested_deeper_than,
    unstorable_fields,
)


def app() -> FastAPI:
    api = FastAPI()
    api.add_middleware(TextGuard)

    @api.post("/echo")
    async def echo(body: dict[str, object]) -> dict[str, object]:
        return body

    return api


def test_nul_and_lone_surrogates_are_found_with_their_path() -> None:
    document = {"name": "ok", "rows": [{"uscc": "a\x00b"}, {"note": "\ud800"}], "\x00": 1}
    assert sorted(unstorable_fields(document)) == ["(body)", "rows.0.uscc", "rows.1.note"]
    assert list(unstorable_fields({"name": "忻州示例"})) == []


async def test_the_guard_answers_422_and_lets_good_bodies_through() -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app()), base_url="http://x"
    ) as http:
        bad = await http.post(
            "/echo", content=b'{"name": "a\\u0000b"}', headers={"content-type": "application/json"}
        )
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["field"] == "name"
        surrogate = await http.post(
            "/echo", content=b'{"x": ["\\udba1"]}', headers={"content-type": "application/json"}
        )
        assert surrogate.json()["detail"][0]["field"] == "x.0"
        query = await http.post("/echo?uscc=a%00b", json={"name": "x"})
        assert query.json()["detail"][0]["field"] == "uscc"
        not_utf8 = await http.post("/echo?q=%F3%A9", json={"name": "x"})
        assert not_utf8.json()["detail"][0]["field"] == "(query)"
        good = await http.post("/echo?county=%E5%BF%BB", json={"name": "忻府区"})
        assert good.json() == {"name": "忻府区"}


def test_nesting_is_measured_without_recursing() -> None:
    deep: object = "leaf"
    for _ in range(100_000):
        deep = [deep]
    assert nested_deeper_than(deep, MAX_JSON_DEPTH)
    assert not nested_deeper_than({"a": [{"b": [1, {"c": 2}]}]}, 5)
    assert nested_deeper_than({"a": [{"b": [1, {"c": 2}]}]}, 4)
    assert not nested_deeper_than("scalar", 0)


async def test_bodies_that_would_crash_a_route_get_422_naming_the_body() -> None:
    deep_array = b"[" * 100_000 + b"]" * 100_000
    deep_object = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    just_past = b'{"name": ' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app()), base_url="http://x"
    ) as http:
        for body in (deep_array, deep_object, just_past):
            for media_type in ("application/json", "Application/JSON; charset=UTF-8"):
                answer = await http.post(
                    "/echo", content=body, headers={"content-type": media_type}
                )
                assert answer.status_code == 422, answer.text
                [problem] = answer.json()["detail"]
                assert problem == {"field": "(body)", "message": "nested deeper than 32 levels"}
        for media_type in ("APPLICATION/JSON", "application/merge-patch+json"):
            nul = await http.post(
                "/echo", content=b'{"name": "a\\u0000b"}', headers={"content-type": media_type}
            )
            assert (nul.status_code, nul.json()["detail"][0]["field"]) == (422, "name")
        fits = b'{"name": ' + b"[" * 30 + b"]" * 30 + b"}"
        answer = await http.post(
            "/echo", content=fits, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 200


async def test_a_json_body_over_the_limit_is_413_and_read_no_further() -> None:
    """Nested past the limit too: refused for its size, before anything parses it."""
    chunk = b"[" * (1024 * 1024)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        while sent <= 2 * MAX_JSON_BODY:
            sent += len(chunk)
            yield chunk

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app()), base_url="http://x"
    ) as http:
        answer = await http.post(
            "/echo", content=body(), headers={"content-type": "application/json"}
        )
    assert answer.status_code == 413
    assert answer.json()["detail"] == [
        {"field": "(body)", "message": "a JSON body is at most 32 MiB"}
    ]
    assert sent <= MAX_JSON_BODY + 2 * len(chunk)
