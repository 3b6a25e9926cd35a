"""Who may call the ledger: cases generated from its access table (every role on every
endpoint, allowed and denied, 401 without a token, never a 500), the table covering every
route, the OpenAPI document saying so, and a county and a bank filing for themselves only.

The 401 and 403 cases are answered before any route runs: they use an app that is never
started (no Kafka, no PostgreSQL); the cases that reach a route use a running one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import ledger.app
from ledger import api
from ledger.access import ACCESS
from shared.access_testing import (
    AccessCase,
    Samples,
    access_cases,
    access_params,
    check_access_on,
    check_coverage,
)
from shared.service import Service

from .ledger_fixtures import MovableClock, client_of, settings_for, shanghai

SAMPLES = Samples.of()
# Body-bound fields ("?") are set by the generator to the caller's own unit or another's.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/reports"): {
        "unit_id": "?",
        "period": SAMPLES.values["period"],
        "category": "typical_case",
        "title": "首贷典型案例",
        "body": "……",
    },
    ("POST", "/publicity"): {
        "county_code": "?",
        "held_on": f"{SAMPLES.values['period']}-15",
        "kind": "briefing",
        "title": "首贷专题宣讲会",
        "participants": 40,
    },
}
CASES = access_params(api.router.routes, ACCESS, samples=SAMPLES, bodies=BODIES)
REFUSED = [case for case in CASES if case.values[0].expect in ("unauthenticated", "denied")]
ADMITTED = [case for case in CASES if case.values[0].expect in ("public", "allowed")]


@pytest.fixture(scope="module")
def idle_app() -> Service[Any]:
    # Never started: it needs no broker, so no broker credentials either (`make unit`).
    return ledger.app.build(
        settings_for("accessidle").model_copy(update={"kafka_security": "none"})
    )


@pytest.fixture(scope="module")
async def running_app(private_namespace: str) -> AsyncIterator[Service[Any]]:
    app = ledger.app.build(
        settings_for(private_namespace), clock=MovableClock(shanghai(2020, 11, 5))
    )
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


def test_the_cases_try_each_unit_on_its_own_and_on_anothers_ledger() -> None:
    cases = access_cases(api.router.routes, ACCESS, samples=SAMPLES, bodies=BODIES)
    found = {(c.method, c.path, c.persona, c.body): c.expect for c in cases}
    county, other_county = SAMPLES.county, SAMPLES.other_county
    bank, other_bank = SAMPLES.institution, SAMPLES.other_institution
    ledger_path = f"/ledgers/{county}/{SAMPLES.values['period']}"
    bank_path = f"/ledgers/{bank}/{SAMPLES.values['period']}"
    assert found[("GET", ledger_path, f"county:{county}", None)] == "allowed"
    assert found[("GET", ledger_path, f"county:{other_county}", None)] == "denied"
    assert found[("GET", ledger_path, f"institution:{bank}", None)] == "denied"
    assert found[("GET", bank_path, f"institution:{bank}", None)] == "allowed"
    assert found[("GET", bank_path, f"institution:{other_bank}", None)] == "denied"
    assert found[("GET", "/ledgers/status", f"county:{county}", None)] == "denied"
    reports = {
        (c.persona, c.body, c.expect)
        for c in cases
        if (c.method, c.template) == ("POST", "/reports")
    }
    named = {(persona, expect) for persona, _, expect in reports}
    assert {(f"county:{county}", "allowed"), (f"county:{other_county}", "denied")} <= named
    assert {(f"institution:{bank}", "allowed"), (f"institution:{other_bank}", "denied")} <= named
    assert ("organizer", "denied") in named
    assert ("guarantor", "denied") in named


async def test_openapi_documents_the_bearer_scheme_401_and_403(idle_app: Service[Any]) -> None:
    transport = httpx.ASGITransport(app=idle_app.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as http:
        response = await http.get("/openapi.json")  # public: no token
    assert response.status_code == 200
    document = response.json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for method, path in ACCESS:
        operation = document["paths"][path][method.lower()]
        assert operation["security"] == [{"bearer": []}], (method, path)
        assert {"401", "403"} <= set(operation["responses"]), (method, path)
        assert "**Who may call**" in operation["description"], (method, path)
    health = document["paths"]["/health"]["get"]
    assert "security" not in health
    assert "401" not in health["responses"]


@pytest.mark.integration
async def test_a_county_files_and_reads_its_own_reports_only(running_app: Service[Any]) -> None:
    county, other = SAMPLES.county, SAMPLES.other_county
    period = SAMPLES.values["period"]
    report = BODIES[("POST", "/reports")] | {"unit_id": county, "title": "本县首贷案例"}
    async with client_of(running_app, f"county:{county}") as http:
        filed = await http.post("/reports", json=report)
        assert filed.status_code == 201, filed.text
        mine = await http.get("/reports", params={"unit_id": county, "period": period})
        assert mine.status_code == 200, mine.text
        assert "本县首贷案例" in {r["title"] for r in mine.json()}

        theirs = await http.post("/reports", json=report | {"unit_id": other})
        assert theirs.status_code == 403
        assert "unit_id" in theirs.json()["detail"][0]["field"]
        assert f"county:{other}" in theirs.json()["required"]
        listing = await http.get("/reports", params={"unit_id": other, "period": period})
        assert listing.status_code == 403


@pytest.mark.integration
async def test_a_bank_reads_and_submits_its_own_ledger_only(running_app: Service[Any]) -> None:
    bank, other = SAMPLES.institution, SAMPLES.other_institution
    async with client_of(running_app, f"institution:{bank}") as http:
        own = await http.get(f"/ledgers/{bank}/2020-10")
        assert own.status_code == 200, own.text
        submitted = await http.post(f"/ledgers/{bank}/2020-10/submit", json={})
        assert submitted.status_code == 201, submitted.text
        refused = await http.post(f"/ledgers/{other}/2020-10/submit", json={})
        assert refused.status_code == 403
        assert {"central", f"institution:{other}"} <= set(refused.json()["required"])
        grid = await http.get("/ledgers/status")
        assert (grid.status_code, grid.json()["required"]) == (403, ["central", "province"])
