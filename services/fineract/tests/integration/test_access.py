"""Who may call the adapter: cases generated from its access table (every role on every
endpoint, allowed and denied, 401 without a token, never a 500) and the table covering every
route.

The 401 and 403 cases are answered before any route runs: they use an app that is never
started (no Kafka, no PostgreSQL); the cases that reach a route use a running one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import fineract.app
from fineract import api
from fineract.access import ACCESS
from fineract.settings import FineractSettings
from shared.access_testing import AccessCase, access_params, check_access_on, check_coverage
from shared.service import Service

CASES = access_params(api.router.routes, ACCESS)
REFUSED = [case for case in CASES if case.values[0].expect in ("unauthenticated", "denied")]
ADMITTED = [case for case in CASES if case.values[0].expect in ("public", "allowed")]


@pytest.fixture(scope="module")
def idle_app() -> Service[Any]:
    # Never started: it needs no broker, so no broker credentials either (`make unit`).
    return fineract.app.build(FineractSettings(namespace="accessidle", kafka_security="none"))


@pytest.fixture(scope="module")
async def running_app(private_namespace: str) -> AsyncIterator[Service[Any]]:
    app = fineract.app.build(FineractSettings(namespace=private_namespace))
    runtime = app.runtime
    async with runtime.running():
        yield app


@pytest.mark.parametrize("case", REFUSED)
async def test_refused(case: AccessCase, idle_app: Service[Any]) -> None:
    await check_access_on(idle_app, case)


@pytest.mark.integration
@pytest.mark.parametrize("case", ADMITTED)
async def test_admitted(case: AccessCase, running_app: Service[Any]) -> None:
    await check_access_on(running_app, case)


def test_every_route_has_a_rule_and_every_rule_a_route(idle_app: Service[Any]) -> None:
    check_coverage(idle_app)
