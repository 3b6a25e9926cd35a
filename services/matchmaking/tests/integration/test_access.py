"""Who may call matchmaking: the cases generated from its access table (every role on every
endpoint, allowed and denied, 401 without a token, never a 500), then the checks the routes
make on the fair, pairing or plan a path names, and the OpenAPI document.

The 401 and 403 cases never reach a route: they run on an app that is built but not started
(no Kafka, no PostgreSQL); the cases that reach a route run on a started one."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

import matchmaking.app
from matchmaking.access import ACCESS
from matchmaking.settings import MatchmakingSettings
from shared.access_testing import (
    AccessCase,
    Samples,
    access_params,
    bearer_headers,
    check_access_on,
    check_coverage,
)
from shared.service import Service
from shared.testing import sample_uscc

SAMPLES = Samples.of()
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/fairs"): {"county_code": "?", "title": "首贷专场对接会", "held_on": "2020-09-20"},
    ("POST", "/matches"): {
        "uscc": SAMPLES.values["uscc"],
        "institution_id": "?",
        "channel": "one_on_one",
    },
    ("PUT", "/enterprises/{uscc}/plan"): {
        "institution_id": "?",
        "responsible_person": "张明",
        "problems": ["lack_of_collateral"],
        "measures": ["引入政府性融资担保"],
    },
    ("POST", "/enterprises/{uscc}/visits"): {
        "institution_id": "?",
        "visited_on": "2020-09-21",
        "visitor": "李华",
        "notes": "了解经营和融资需求",
    },
}
# Never started: no broker, so no broker credentials either (`make unit`).
IDLE = matchmaking.app.build(MatchmakingSettings(kafka_security="none"))
CASES = access_params(
    IDLE.app,
    IDLE.app.state.access_table,
    samples=SAMPLES,
    bodies=BODIES,
    allowed_marks=[pytest.mark.integration],
)
REACHING = [p for p in CASES if p.values[0].expect in ("public", "allowed")]
REFUSED = [p for p in CASES if p not in REACHING]


def client_of(app: Service[Any], *scopes: str) -> httpx.AsyncClient:
    headers = bearer_headers(app.runtime.settings, *scopes) if scopes else {}
    transport = httpx.ASGITransport(app=app.app)
    return httpx.AsyncClient(transport=transport, base_url="http://x", headers=headers)


@pytest.mark.parametrize("case", REACHING)
async def test_access_reaching_the_route(case: AccessCase, started: Service[Any]) -> None:
    await check_access_on(started, case)


@pytest.mark.parametrize("case", REFUSED)
async def test_access_refused(case: AccessCase) -> None:
    await check_access_on(IDLE, case)


def test_every_route_has_a_rule_and_every_rule_a_route() -> None:
    check_coverage(IDLE)
    assert set(ACCESS) <= set(IDLE.app.state.access_table)


def test_the_cases_try_every_role_allowed_and_denied_on_every_endpoint() -> None:
    cases: list[AccessCase] = [p.values[0] for p in CASES]
    by_endpoint: dict[tuple[str, str], set[str]] = {}
    for case in cases:
        by_endpoint.setdefault((case.method, case.template), set()).add(case.expect)
    for key, rule in IDLE.app.state.access_table.items():
        expects = by_endpoint[key]
        if rule.public:
            assert expects == {"public"}, key
        elif rule.any_caller:
            assert expects == {"unauthenticated", "allowed"}, key
        else:
            assert expects == {"unauthenticated", "allowed", "denied"}, key
    # another county or bank named in the body is refused
    found = {(c.method, c.template, c.persona): c.expect for c in cases if c.body}
    other_county = f"county:{SAMPLES.other_county}"
    other_bank = f"institution:{SAMPLES.other_institution}"
    assert found["POST", "/fairs", other_county] == "denied"
    assert found["POST", "/fairs", f"county:{SAMPLES.county}"] == "allowed"
    for method, template in (
        ("POST", "/matches"),
        ("PUT", "/enterprises/{uscc}/plan"),
        ("POST", "/enterprises/{uscc}/visits"),
    ):
        assert found[method, template, other_bank] == "denied"
        assert found[method, template, f"institution:{SAMPLES.institution}"] == "allowed"
    figures = {c.persona: c.expect for c in cases if c.template == "/figures"}
    assert figures["central"] == "allowed"
    assert {figures["organizer"], figures[f"institution:{SAMPLES.institution}"]} == {"denied"}


# --- the unit of the fair, pairing or plan a path names ------------------------------------


def new_uscc() -> str:
    return sample_uscc(secrets.randbelow(10**7), SAMPLES.county, tag="AC")


async def scheduled_fair(app: Service[Any], county: str) -> str:
    async with client_of(app, f"county:{county}") as client:
        made = await client.post(
            "/fairs", json={"county_code": county, "title": "首贷对接会", "held_on": "2020-09-20"}
        )
    assert made.status_code == 201, made.text
    fair_id: str = made.json()["fair_id"]
    return fair_id


@pytest.mark.integration
async def test_a_county_sees_and_fills_only_its_own_fairs(started: Service[Any]) -> None:
    fair_id = await scheduled_fair(started, SAMPLES.county)
    uscc = new_uscc()
    async with client_of(started, f"county:{SAMPLES.other_county}") as other:
        seen = await other.get(f"/fairs/{fair_id}")
        registered = await other.post(f"/fairs/{fair_id}/attendance", json={"uscc": uscc})
    for refused in (seen, registered):
        assert refused.status_code == 403, refused.text
        assert refused.json()["required"] == [f"county:{SAMPLES.county}"]
        assert refused.json()["detail"][0]["field"] == "county_code"
    async with client_of(started, f"county:{SAMPLES.county}") as own:
        assert (await own.get(f"/fairs/{fair_id}")).json()["enterprises"] == []
        registered = await own.post(f"/fairs/{fair_id}/attendance", json={"uscc": uscc})
        assert registered.status_code == 201, registered.text
        assert [e["uscc"] for e in (await own.get(f"/fairs/{fair_id}")).json()["enterprises"]] == [
            uscc
        ]
    async with client_of(started, "organizer") as organizer:
        assert (await organizer.get(f"/fairs/{fair_id}")).status_code == 200


@pytest.mark.integration
async def test_a_bank_reads_only_its_own_pairings(started: Service[Any]) -> None:
    own, other = SAMPLES.institution, SAMPLES.other_institution
    uscc = new_uscc()
    async with client_of(started, f"institution:{own}") as bank:
        made = await bank.post(
            "/matches", json={"uscc": uscc, "institution_id": own, "channel": "online"}
        )
        assert made.status_code == 201, made.text
        match_id = made.json()["match_id"]
        assert (await bank.get(f"/matches/{match_id}")).status_code == 200
        listed = await bank.get("/matches", params={"institution_id": own})
        assert {m["institution_id"] for m in listed.json()} == {own}
        assert (await bank.get("/matches")).status_code == 403
    async with client_of(started, f"institution:{other}") as stranger:
        refused = await stranger.get(f"/matches/{match_id}")
        assert refused.status_code == 403, refused.text
        assert refused.json()["detail"][0]["field"] == "institution_id"
        assert (await stranger.get("/matches", params={"institution_id": own})).status_code == 403


def plan_of(institution: str, measure: str) -> dict[str, Any]:
    return {
        "institution_id": institution,
        "responsible_person": "王芳",
        "problems": ["irregular_finances"],
        "measures": [measure],
    }


@pytest.mark.integration
async def test_a_bank_reads_and_revises_only_the_plans_it_is_responsible_for(
    started: Service[Any],
) -> None:
    own, other = SAMPLES.institution, SAMPLES.other_institution
    uscc = new_uscc()
    async with client_of(started, f"institution:{own}") as bank:
        made = await bank.put(f"/enterprises/{uscc}/plan", json=plan_of(own, "规范财务报表"))
        assert made.status_code == 200, made.text
    async with client_of(started, f"institution:{other}") as stranger:
        assert (await stranger.get(f"/enterprises/{uscc}/plan")).status_code == 403
        taken = await stranger.put(f"/enterprises/{uscc}/plan", json=plan_of(other, "换行承接"))
        assert taken.status_code == 403, taken.text
        assert taken.json()["required"] == [f"institution:{own}"]
    async with client_of(started, "organizer") as organizer:
        shown = (await organizer.get(f"/enterprises/{uscc}/plan")).json()
    assert (shown["institution_id"], shown["measures"], shown["version"]) == (
        own,
        ["规范财务报表"],
        1,
    )
    async with client_of(started, "central") as supervisor:
        handed = await supervisor.put(f"/enterprises/{uscc}/plan", json=plan_of(other, "换行承接"))
        assert handed.status_code == 200, handed.text
    async with client_of(started, f"institution:{other}") as successor:
        assert (await successor.get(f"/enterprises/{uscc}/plan")).status_code == 200


# --- the OpenAPI document -----------------------------------------------------------------


async def test_the_openapi_document_names_the_bearer_scheme_and_the_401_and_403_answers() -> None:
    async with client_of(IDLE) as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for (method, path), rule in ACCESS.items():
        operation = document["paths"][path][method.lower()]
        if rule.public:
            assert "security" not in operation, (method, path)
            assert "401" not in operation["responses"], (method, path)
            continue
        assert operation["security"] == [{"bearer": []}], (method, path)
        assert {"401", "403"} <= set(operation["responses"]), (method, path)
        assert f"**Who may call**: {rule.describe()}." in operation["description"]
    figures = document["paths"]["/figures"]["get"]["description"]
    assert figures.endswith("**Who may call**: central.")
