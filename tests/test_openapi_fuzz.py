"""Every service's OpenAPI document, fuzzed in process with schemathesis, as a supervisor
(every endpoint reachable): whatever the input, no answer is a server error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
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
from shared.service import Runtime

pytestmark = pytest.mark.integration

EXAMPLES = 15
BASE = "http://service"
BUILDERS: dict[str, Callable[[str], FastAPI]] = {
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
) -> AsyncIterator[FastAPI]:
    app = BUILDERS[request.param](private_namespace)
    runtime: Runtime = app.state.runtime
    async with runtime.running():  # as it runs: consumers, relay, /health answering 200
        yield app


def generated_cases(app: FastAPI) -> list[Any]:
    """Each operation's hypothesis-generated cases (schemathesis' pytest plugin is not used:
    it does not run under this pytest; its ASGI transport would start the app's lifespan
    for every call)."""
    schema = schemathesis.openapi.from_dict(app.openapi())
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


async def test_no_input_is_a_server_error(service_app: FastAPI) -> None:
    cases = generated_cases(service_app)
    assert len({(c.method, c.path) for c in cases}) > 5
    headers = bearer_headers(service_app.state.runtime.settings)
    transport = httpx.ASGITransport(app=service_app)
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
