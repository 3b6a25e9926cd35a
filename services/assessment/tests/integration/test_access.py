"""Who may call assessment: cases generated from its access table (every role on every
endpoint, allowed and denied, 401 without a token, never a 500) and the table covering
every route. Refusals are answered before any route runs (an app never started); the cases
that reach a route use a running one."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

import assessment.app
from assessment import api
from assessment.access import ACCESS
from assessment.app import AssessmentService
from assessment.dashboard import routes as dashboard_routes
from assessment.settings import AssessmentSettings
from shared.access_testing import (
    AccessCase,
    Samples,
    access_params,
    check_access_on,
    check_coverage,
)

SAMPLES = Samples.of(as_of="2020-09-30")
ROUTES = [*api.router.routes, *dashboard_routes.router.routes]
# Bodies whose unit_id the generator sets to the caller's own county or another.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/subscriptions"): {"unit_id": "?", "channel": "email", "target": "a@example.org"},
    ("POST", "/silences"): {
        "unit_id": "?",
        "ends_at": "2020-10-31T00:00:00+08:00",
        "why": "整改期内",
    },
}
CASES = access_params(ROUTES, ACCESS, samples=SAMPLES, bodies=BODIES)
REFUSED = [case for case in CASES if case.values[0].expect in ("unauthenticated", "denied")]
# The live feed never ends by itself: its admission is tested by the dashboard's own tests.
ADMITTED = [
    case
    for case in CASES
    if case.values[0].expect in ("public", "allowed")
    and case.values[0].template != "/events/stream"
]


@pytest.fixture(scope="module")
def idle_app() -> AssessmentService:
    # Never started: it needs no broker, so no broker credentials either (`make unit`).
    settings = AssessmentSettings(namespace="accessidle", run_checkpoints=False)
    return assessment.app.build(settings.model_copy(update={"kafka_security": "none"}))


@pytest.fixture(scope="module")
async def running_app(private_namespace: str) -> AsyncIterator[AssessmentService]:
    app = assessment.app.build(
        AssessmentSettings(namespace=private_namespace, run_checkpoints=False)
    )
    runtime = app.runtime
    async with runtime.running():
        yield app


@pytest.mark.parametrize("case", REFUSED)
async def test_refused(case: AccessCase, idle_app: AssessmentService) -> None:
    await check_access_on(idle_app, case)


@pytest.mark.integration
@pytest.mark.parametrize("case", ADMITTED)
async def test_admitted(case: AccessCase, running_app: AssessmentService) -> None:
    await check_access_on(running_app, case)


def test_every_route_has_a_rule_and_every_rule_a_route(idle_app: AssessmentService) -> None:
    check_coverage(idle_app)


def test_a_unit_sees_its_own_detail_and_only_supervisors_see_the_rest() -> None:
    found = {(c.values[0].path, c.values[0].persona): c.values[0].expect for c in CASES}
    county, other_county = SAMPLES.county, SAMPLES.other_county
    detail = f"/dashboard/units/{SAMPLES.values['unit_id']}"
    assert SAMPLES.values["unit_id"] == county
    assert found[(detail, f"county:{county}")] == "allowed"
    assert found[(detail, f"county:{other_county}")] == "denied"
    assert found[(detail, f"institution:{SAMPLES.institution}")] == "denied"
    assert found[("/attainment", f"county:{county}")] == "denied"
    assert found[("/institutions/data-quality", f"institution:{SAMPLES.institution}")] == "denied"
    assert found[("/escalations", "anonymous")] == "unauthenticated"
    assert found[("/", "anonymous")] == "public"


def test_a_county_subscribes_to_and_mutes_its_own_county_only() -> None:
    county, other_county = SAMPLES.county, SAMPLES.other_county
    named = {
        (c.values[0].method, c.values[0].path, c.values[0].persona, c.values[0].body): c.values[0]
        for c in CASES
    }
    for path in ("/subscriptions", "/silences"):
        own = json.dumps(BODIES[("POST", path)] | {"unit_id": county})
        assert named[("POST", path, f"county:{county}", own)].expect == "allowed"
        assert named[("POST", path, f"county:{other_county}", own)].expect == "denied"
        assert named[("POST", path, f"institution:{SAMPLES.institution}", own)].expect == "denied"
    asked = {
        (c.values[0].method, c.values[0].path, c.values[0].persona, c.values[0].query)
        for c in CASES
        if c.values[0].expect == "allowed"
    }
    query = (("county_code", county),)
    assert ("GET", "/deliveries", f"county:{county}", query) in asked
    assert ("GET", "/deliveries", f"county:{other_county}", query) not in asked
