"""Every service's OpenAPI document, fuzzed in process with schemathesis, as a supervisor
(every endpoint reachable): whatever the input, no answer is a server error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err

import assessment.app
import ledger.app
import matchmaking.app
import roster.app
from assessment.settings import AssessmentSettings
from ledger.settings import LedgerSettings
from matchmaking.settings import MatchmakingSettings
from roster.settings import RosterSettings
from shared.access_testing import bearer_headers

pytestmark = pytest.mark.integration

EXAMPLES = 15
BUILDERS: dict[str, Callable[[str], FastAPI]] = {
    "roster": lambda ns: roster.app.build(RosterSettings(namespace=ns)),
    "matchmaking": lambda ns: matchmaking.app.build(MatchmakingSettings(namespace=ns)),
    "ledger": lambda ns: ledger.app.build(LedgerSettings(namespace=ns)),
    "assessment": lambda ns: assessment.app.build(
        AssessmentSettings(namespace=ns, run_checkpoints=False)
    ),
}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def service_app(request: pytest.FixtureRequest, private_namespace: str) -> FastAPI:
    return BUILDERS[request.param](private_namespace)


def test_no_input_is_a_server_error(service_app: FastAPI) -> None:
    """Each operation in turn, with hypothesis-generated cases (schemathesis' pytest plugin
    is not used: it does not run under this pytest)."""
    headers = bearer_headers(service_app.state.runtime.settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", service_app)
    server_errors: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            pytest.fail(f"the OpenAPI document has an invalid operation: {result.err()}")
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                text = response.text[:300]
                server_errors.append(f"{case.method} {case.formatted_path}: {text}")

        call()
    assert operations > 5
    assert server_errors == []
