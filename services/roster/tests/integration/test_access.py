"""Roster's access table, case by case (shared.access_testing): every role on every endpoint,
allowed and denied, 401 without a token, never a 500; then what the generated cases cannot
reach (batches and uploads naming another unit, a file or an assignment of another county's
enterprise, the guarantee companies' published list) and the OpenAPI document.

Cases answered before the store is touched (401, a role the table refuses, a nomination naming
another unit) run on a roster that is built but not started; the others need PostgreSQL and
Kafka (`integration`)."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

import roster.app
from roster.access import ACCESS
from roster.api import router
from roster.settings import RosterSettings
from roster.spreadsheets import XLSX
from shared.access_testing import (
    AccessCase,
    Samples,
    TestKeys,
    access_cases,
    check_access,
    check_coverage,
)
from shared.auth import Scope
from shared.service import Service
from shared.validators import USCC_ALPHABET, uscc_check_character

from .sheets import spreadsheet

SAMPLES = Samples.of()
COUNTY, OTHER_COUNTY = SAMPLES.county, SAMPLES.other_county
BANK, OTHER_BANK = SAMPLES.institution, SAMPLES.other_institution
SAMPLE_USCC = SAMPLES.values["uscc"]  # on file in COUNTY, assigned to BANK (`running`)


def nomination(**changes: Any) -> dict[str, Any]:
    body = {
        "uscc": SAMPLE_USCC,
        "name": "忻州示例商贸有限公司",
        "county_code": COUNTY,
        "size_class": "micro",
        "source": "bank",
        "nominated_by": "示例银行忻州分行",
        "nominated_on": "2020-09-05",
        "no_loan_in_5y_attested": True,
        "institution_id": BANK,
    }
    return body | changes


# The generator sets the bound fields (county_code, institution_id) to the caller's own unit.
# An assignment's county is the enterprise's on file (COUNTY): the body's is ignored.
BODIES = {
    ("POST", "/nominations"): nomination(),
    ("POST", "/enterprises/{uscc}/assignments"): {"institution_id": BANK},
}
CASES = [
    # The sample enterprise is on file in COUNTY: its county may assign it to any bank,
    # whatever the body's variant (the rule binds the record's county, not the body's).
    dataclasses.replace(case, expect="allowed")
    if case.template == "/enterprises/{uscc}/assignments" and case.persona == f"county:{COUNTY}"
    else case
    for case in access_cases(router.routes, ACCESS, samples=SAMPLES, bodies=BODIES)
]


def needs_the_store(case: AccessCase) -> bool:
    """Answered by the route after reading the store: reached at all, or refused for the
    enterprise's county on file."""
    bound_by_record = case.template.startswith("/enterprises/{uscc}") and case.persona.startswith(
        ("county:", "institution:")
    )
    return case.expect in ("public", "allowed") or bound_by_record


def params(cases: list[AccessCase]) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in cases]


BEFORE_THE_STORE = [c for c in CASES if not needs_the_store(c)]
WITH_THE_STORE = [c for c in CASES if needs_the_store(c)]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> TestKeys:
    return TestKeys.create(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def built(keys: TestKeys) -> Service[Any]:
    """A roster that is never started: no Kafka, no PostgreSQL."""
    settings = RosterSettings(kafka_security="none", http_auth="token", **keys.settings())
    return roster.app.build(settings)


@pytest.fixture(scope="module")
async def running(namespace: str, keys: TestKeys) -> AsyncIterator[Service[Any]]:
    settings = RosterSettings(
        namespace=namespace,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        http_auth="token",
        **keys.settings(),
    )
    app = roster.app.build(settings)
    runtime = app.runtime
    async with runtime.running(), client_of(app) as http:
        answer = await http.post("/nominations", json=nomination(), headers=bearer(keys))
        assert answer.status_code == 201, answer.text
        yield app


def client_of(app: Service[Any]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app.app), base_url="http://roster")


def bearer(keys: TestKeys, *scopes: str) -> dict[str, str]:
    token = keys.issuer.issue(
        "test:roster", [Scope.parse(s) for s in scopes or ("central",)], timedelta(minutes=5)
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def offline(built: Service[Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(built) as http:
        yield http


@pytest.fixture
async def http(running: Service[Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(running) as http:
        yield http


# --- the generated cases ------------------------------------------------------------------


@pytest.mark.parametrize("case", params(BEFORE_THE_STORE))
async def test_access_before_the_store(
    case: AccessCase, offline: httpx.AsyncClient, keys: TestKeys
) -> None:
    await check_access(offline, case, keys.issuer)


@pytest.mark.integration
@pytest.mark.parametrize("case", params(WITH_THE_STORE))
async def test_access(case: AccessCase, http: httpx.AsyncClient, keys: TestKeys) -> None:
    await check_access(http, case, keys.issuer)


def test_every_route_has_a_rule_and_every_rule_a_route(built: Service[Any]) -> None:
    check_coverage(built)


def test_the_cases_try_every_role_and_the_other_unit() -> None:
    expect = {(c.method, c.template, c.persona, c.query): c.expect for c in CASES}
    nominations = ("POST", "/nominations")
    assert expect[(*nominations, f"county:{COUNTY}", ())] == "allowed"
    assert expect[(*nominations, f"county:{OTHER_COUNTY}", ())] == "denied"
    assert expect[(*nominations, f"institution:{OTHER_BANK}", ())] == "denied"
    assert expect[(*nominations, "guarantor", ())] == "denied"
    assert expect[(*nominations, "department", ())] == "allowed"
    assign = ("POST", "/enterprises/{uscc}/assignments")
    assert expect[(*assign, f"county:{OTHER_COUNTY}", ())] == "denied"
    assert expect[(*assign, f"institution:{OTHER_BANK}", ())] == "denied"
    assert expect[(*assign, "department", ())] == "denied"
    whitelist = ("GET", "/whitelist")
    assert expect[(*whitelist, f"county:{COUNTY}", (("county_code", COUNTY),))] == "allowed"
    assert expect[(*whitelist, f"county:{OTHER_COUNTY}", (("county_code", COUNTY),))] == "denied"
    assert expect[(*whitelist, "organizer", ())] == "denied"
    for template in {c.template for c in CASES}:
        personas = {c.persona for c in CASES if c.template == template}
        assert {"anonymous", "central", "organizer", "department", "guarantor"} <= personas


# --- what the generated cases cannot reach ------------------------------------------------


def uscc(county: str = COUNTY) -> str:
    body = "91" + county + "".join(secrets.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


def government(**changes: Any) -> dict[str, Any]:
    body = nomination(uscc=uscc(), source="government", nominated_by="忻府区工信局")
    del body["institution_id"]
    return body | changes


def refused_for(answer: httpx.Response, field: str, scope: str) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "insufficient_scope"
    assert answer.json()["detail"][0]["field"] == field
    assert scope in answer.json()["required"]


@pytest.mark.integration
async def test_a_batch_naming_another_county_is_refused_whole(
    http: httpx.AsyncClient, keys: TestKeys
) -> None:
    rows = [government(), government(county_code=OTHER_COUNTY)]
    county = bearer(keys, f"county:{COUNTY}")
    answer = await http.post("/nominations/batch", json=rows, headers=county)
    refused_for(answer, "row 2: county_code or institution_id", f"county:{OTHER_COUNTY}")
    first = await http.get(f"/enterprises/{rows[0]['uscc']}", headers=bearer(keys))
    assert first.status_code == 404, "nothing is saved"
    mine = await http.post("/nominations/batch", json=rows[:1], headers=county)
    assert mine.status_code == 200, mine.text
    assert mine.json()["listed"] == 1


@pytest.mark.integration
async def test_an_upload_naming_another_bank_is_refused_whole(
    http: httpx.AsyncClient, keys: TestKeys
) -> None:
    rows = [nomination(uscc=uscc()), nomination(uscc=uscc(), institution_id=OTHER_BANK)]
    files = {"file": ("list.xlsx", spreadsheet(rows), XLSX)}
    bank = bearer(keys, f"institution:{BANK}")
    answer = await http.post("/nominations/upload", files=files, headers=bank)
    refused_for(answer, "row 3: county_code or institution_id", f"institution:{OTHER_BANK}")
    first = await http.get(f"/enterprises/{rows[0]['uscc']}", headers=bearer(keys))
    assert first.status_code == 404, "nothing is saved"
    mine = {"file": ("list.xlsx", spreadsheet(rows[:1]), XLSX)}
    assert (await http.post("/nominations/upload", files=mine, headers=bank)).status_code == 200


@pytest.mark.integration
async def test_a_nomination_naming_no_unit_of_the_caller_is_refused(
    http: httpx.AsyncClient, keys: TestKeys
) -> None:
    bank = bearer(keys, f"institution:{BANK}")
    unnamed = await http.post("/nominations", json=government(), headers=bank)
    refused_for(unnamed, "county_code or institution_id", "institution:<institution_id>")
    county = bearer(keys, f"county:{COUNTY}")
    body = government()
    del body["county_code"]
    missing = await http.post("/nominations", json=body, headers=county)
    refused_for(missing, "county_code or institution_id", "county:<county_code>")


@pytest.mark.integration
async def test_a_file_is_read_by_its_county_and_its_banks(
    http: httpx.AsyncClient, keys: TestKeys
) -> None:
    path = f"/enterprises/{SAMPLE_USCC}"
    for scope in (f"county:{COUNTY}", f"institution:{BANK}", "department", "central"):
        assert (await http.get(path, headers=bearer(keys, scope))).status_code == 200, scope
    for scope in (f"county:{OTHER_COUNTY}", f"institution:{OTHER_BANK}"):
        answer = await http.get(path, headers=bearer(keys, scope))
        assert answer.status_code == 403, scope
        assert answer.json()["error"] == "insufficient_scope"
    unknown = await http.get(f"/enterprises/{uscc()}", headers=bearer(keys, f"county:{COUNTY}"))
    assert unknown.status_code == 404


@pytest.mark.integration
async def test_assignments_by_the_enterprises_county_or_the_bank_itself(
    http: httpx.AsyncClient, keys: TestKeys
) -> None:
    body = government()
    assert (await http.post("/nominations", json=body, headers=bearer(keys))).status_code == 201
    path = f"/enterprises/{body['uscc']}/assignments"
    other = await http.post(
        path, json={"institution_id": "icbc"}, headers=bearer(keys, f"county:{OTHER_COUNTY}")
    )
    refused_for(other, "county_code or institution_id", f"county:{COUNTY}")
    foreign = await http.post(
        path, json={"institution_id": OTHER_BANK}, headers=bearer(keys, f"institution:{BANK}")
    )
    refused_for(foreign, "county_code or institution_id", f"institution:{OTHER_BANK}")
    file = (await http.get(f"/enterprises/{body['uscc']}", headers=bearer(keys))).json()
    assert file["assignments"] == [], "nothing is assigned"
    county = bearer(keys, f"county:{COUNTY}")
    assert (
        await http.post(path, json={"institution_id": "icbc"}, headers=county)
    ).status_code == 201
    bank = bearer(keys, f"institution:{BANK}")
    assert (await http.post(path, json={"institution_id": BANK}, headers=bank)).status_code == 201
    unknown = await http.post(
        f"/enterprises/{uscc()}/assignments", json={"institution_id": BANK}, headers=bank
    )
    assert unknown.status_code == 404


@pytest.mark.integration
async def test_guarantors_read_the_published_whitelist_only(
    http: httpx.AsyncClient, keys: TestKeys
) -> None:
    published = await http.post("/whitelist/publish", headers=bearer(keys))
    assert published.status_code == 201, published.text
    later = government()
    assert (await http.post("/nominations", json=later, headers=bearer(keys))).status_code == 201
    guarantor = bearer(keys, "guarantor")
    answer = await http.get("/whitelist", params={"county_code": COUNTY}, headers=guarantor)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] >= published.json()["version"]
    assert later["uscc"] not in [e["uscc"] for e in answer.json()["entries"]]
    live = await http.get(
        "/whitelist", params={"county_code": COUNTY}, headers=bearer(keys, "department")
    )
    assert live.json()["version"] is None
    assert later["uscc"] in [e["uscc"] for e in live.json()["entries"]]


# --- the OpenAPI document -----------------------------------------------------------------


async def test_the_openapi_document_names_the_scheme_and_the_answers(
    offline: httpx.AsyncClient,
) -> None:
    answer = await offline.get("/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    operations = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    for key in ACCESS:
        operation = operations[key]
        assert operation["security"] == [{"bearer": []}], key
        assert {"401", "403"} <= set(operation["responses"]), key
        assert "**Who may call**" in operation["description"], key
    for public in (("GET", "/health"), ("GET", "/metrics")):
        assert "security" not in operations[public]
        assert "401" not in operations[public]["responses"]


async def test_the_documents_are_public_and_whoami_needs_a_token(
    offline: httpx.AsyncClient, keys: TestKeys
) -> None:
    for path in ("/openapi.json", "/docs", "/redoc", "/metrics"):
        assert (await offline.get(path)).status_code == 200, path
    assert (await offline.get("/auth/whoami")).status_code == 401
    whoami = await offline.get("/auth/whoami", headers=bearer(keys, f"county:{COUNTY}"))
    assert whoami.json()["scopes"] == [f"county:{COUNTY}"]
