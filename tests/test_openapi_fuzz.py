"""Every service's OpenAPI document, fuzzed in process with schemathesis, as a supervisor
(every endpoint reachable): whatever the input, no answer is a server error. And every
route that takes a JSON body is sent what its schema does not generate: bodies nested
100,000 deep, NUL characters and lone surrogates in each field, under every spelling of the
JSON media type; each answer is a 4xx naming the field."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err

import assessment.app
import fineract.app
import ledger.app
import matchmaking.app
import roster.app
from assessment.settings import AssessmentSettings
from fineract.settings import FineractSettings
from ledger.settings import LedgerSettings
from matchmaking.settings import MatchmakingSettings
from roster.settings import RosterSettings
from shared.access_testing import bearer_headers
from shared.service import Service

pytestmark = pytest.mark.integration

EXAMPLES = 15
BASE = "http://service"
BUILDERS: dict[str, Callable[[str], Service[Any]]] = {
    "roster": lambda ns: roster.app.build(RosterSettings(namespace=ns)),
    "matchmaking": lambda ns: matchmaking.app.build(MatchmakingSettings(namespace=ns)),
    "ledger": lambda ns: ledger.app.build(LedgerSettings(namespace=ns)),
    "assessment": lambda ns: assessment.app.build(
        AssessmentSettings(namespace=ns, run_checkpoints=False)
    ),
    "fineract": lambda ns: fineract.app.build(FineractSettings(namespace=ns)),
}


# Streams that never end by themselves (the dashboard's live feed) are not fuzzed.
ENDLESS = {"/events/stream"}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
async def service_app(
    request: pytest.FixtureRequest, private_namespace: str
) -> AsyncIterator[Service[Any]]:
    app = BUILDERS[request.param](private_namespace)
    runtime = app.runtime
    async with runtime.running():  # as it runs: consumers, relay, /health answering 200
        yield app


def generated_cases(app: Service[Any]) -> list[Any]:
    """Each operation's hypothesis-generated cases (schemathesis' pytest plugin is not used:
    it does not run under this pytest; its ASGI transport would start the app's lifespan
    for every call)."""
    schema = schemathesis.openapi.from_dict(app.app.openapi())
    cases: list[Any] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            pytest.fail(f"the OpenAPI document has an invalid operation: {result.err()}")
        operation = result.ok()
        if operation.path in ENDLESS:
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def collect(case: Any) -> None:
            cases.append(case)

        collect()
    return cases


async def test_no_input_is_a_server_error(service_app: Service[Any]) -> None:
    cases = generated_cases(service_app)
    assert len({(c.method, c.path) for c in cases}) > 5
    headers = bearer_headers(service_app.runtime.settings)
    transport = httpx.ASGITransport(app=service_app.app)
    server_errors: list[str] = []
    async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=30) as http:
        for case in cases:
            request = case.as_transport_kwargs(base_url=BASE, headers=headers)
            assert not request.get("cookies"), "no operation of the platform takes cookies"
            response = await http.request(
                request["method"],
                request["url"],
                params=request.get("params"),
                headers=request.get("headers"),
                json=request.get("json"),
                data=request.get("data"),
                files=request.get("files"),
            )
            if response.status_code >= 500:
                where = f"{case.method} {case.formatted_path}"
                server_errors.append(f"{where} {request.get('params')}: {response.text[:300]}")
    assert server_errors == []


DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
MEDIA_TYPES = ("application/json", "Application/JSON; charset=utf-8", "APPLICATION/JSON")


def json_operations(app: Service[Any]) -> list[tuple[str, str, list[str]]]:
    """(method, path with its parameters filled, the body's top-level fields) of each
    operation that takes a JSON body."""
    document = app.app.openapi()
    schemas = document.get("components", {}).get("schemas", {})
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            schema = content["application/json"].get("schema", {})
            if "$ref" in schema:
                schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
            filled = re.sub(r"\{[^}]+\}", "x", path)
            found.append((method.upper(), filled, sorted(schema.get("properties", {}))))
    return found


def hostile_bodies(fields: list[str]) -> list[tuple[bytes, str]]:
    """(body, the field its answer must name)."""
    bodies = [(DEEP_ARRAY, "(body)"), (DEEP_OBJECT, "(body)")]
    for field in fields:
        bodies.append((json.dumps({field: "a\u0000b"}).encode(), field))
        bodies.append((b'{"%s": "\\ud800x"}' % field.encode(), field))
    return bodies


async def test_hostile_json_bodies_get_4xx_naming_the_field(service_app: Service[Any]) -> None:
    operations = json_operations(service_app)
    assert operations or "Fineract" in service_app.app.title  # the adapter takes no JSON body
    headers = bearer_headers(service_app.runtime.settings)
    transport = httpx.ASGITransport(app=service_app.app)
    wrong: list[str] = []
    async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=60) as http:
        for method, path, fields in operations:
            for body, field in hostile_bodies(fields):
                for media_type in MEDIA_TYPES:
                    answer = await http.request(
                        method, path, content=body, headers={**headers, "content-type": media_type}
                    )
                    named = [d.get("field") for d in answer.json().get("detail", [])]
                    if not (400 <= answer.status_code < 500 and field in named):
                        shown = body[:40].decode(errors="replace")
                        wrong.append(f"{method} {path} {media_type} {shown}: {answer.status_code}")
    assert wrong == []
