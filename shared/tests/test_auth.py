"""HTTP access on a small app built with create_app, the way a service builds its own (never
started: no Kafka, no PostgreSQL): the generated cases of its table, then tokens that must be
refused with 401 and never a 500, the body helper, the OpenAPI document, development mode."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from shared.access import (
    ANY_CALLER,
    PUBLIC,
    AccessDep,
    Rule,
    protect,
    stale_rules,
    uncovered_routes,
)
from shared.access_testing import (
    AccessCase,
    TestKeys,
    access_cases,
    access_params,
    check_access,
)
from shared.audit import AuditEntry
from shared.auth import Role, Scope, TokenIssuer, ensure_signing_keys
from shared.db import new_metadata
from shared.inbox import inbox_table
from shared.outbox import outbox_table
from shared.retrying import RetryTransient
from shared.service import Runtime, create_app
from shared.settings import ServiceSettings

router = APIRouter()


class Fair(BaseModel):
    county_code: str
    title: str


class Nomination(BaseModel):
    county_code: str
    institution_id: str | None = None


@router.get("/ledgers/{unit_id}/{period}")
async def ledger(unit_id: str, period: str) -> dict[str, str]:
    return {"unit_id": unit_id, "period": period}


@router.post("/fairs", status_code=201)
async def schedule_fair(body: Fair, access: AccessDep) -> dict[str, str]:
    access.require(county=body.county_code)
    return {"county_code": body.county_code}


@router.post("/nominations", status_code=201)
async def nominate(body: Nomination, access: AccessDep) -> dict[str, str | None]:
    access.require(county=body.county_code, institution=body.institution_id)
    return body.model_dump()


@router.get("/whitelist")
async def whitelist(county_code: str | None = None) -> list[str]:
    return []


@router.get("/institutions/{institution_id}/figures")
async def figures(institution_id: str) -> dict[str, str]:
    return {"institution_id": institution_id}


@router.get("/events/stream")
async def stream() -> dict[str, str]:
    return {"stream": "open"}


@router.get("/reference")
async def reference() -> dict[str, str]:
    return {}


@router.get("/page")
async def page() -> dict[str, str]:
    return {}


@router.post("/careless")
async def careless(body: Fair) -> dict[str, str]:
    return {}  # admits county callers on a body binding, and forgets to check it


ACCESS = {
    ("GET", "/ledgers/{unit_id}/{period}"): Rule(county="path:unit_id", institution="path:unit_id"),
    ("POST", "/fairs"): Rule(organizer=True, county="body:county_code"),
    ("POST", "/nominations"): Rule(
        department=True, county="body:county_code", institution="body:institution_id"
    ),
    ("GET", "/whitelist"): Rule(guarantor=True, department=True, county="query:county_code"),
    ("GET", "/institutions/{institution_id}/figures"): Rule(institution="path:institution_id"),
    ("GET", "/events/stream"): Rule(query_token=True),
    ("GET", "/reference"): ANY_CALLER,
    ("GET", "/page"): PUBLIC,
    ("POST", "/careless"): Rule(county="body:county_code"),
}
BODIES = {
    ("POST", "/fairs"): {"county_code": "?", "title": "首贷对接会"},
    ("POST", "/nominations"): {"county_code": "?", "institution_id": "?"},
}
AUTHORIZATION_PROBLEMS = ("missing_token", "expired_token", "invalid_token")


def build(settings: ServiceSettings, extra: APIRouter | None = None) -> FastAPI:
    metadata = new_metadata()
    outbox_table(metadata)
    inbox_table(metadata)
    runtime = Runtime.create(settings, metadata, store=lambda connection: connection)
    routers = [router, extra] if extra else [router]
    return create_app(runtime, routers, title="access test", access=ACCESS)


def settings_for(keys: TestKeys, **values: Any) -> ServiceSettings:
    return ServiceSettings(service="accesstest", kafka_security="none", **keys.settings(), **values)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> TestKeys:
    return TestKeys.create(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def app(keys: TestKeys) -> FastAPI:
    forgotten = APIRouter()

    @forgotten.get("/forgotten")
    async def no_rule() -> dict[str, str]:
        return {}

    return build(settings_for(keys), forgotten)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        yield http


def bearer(keys: TestKeys, *scopes: str, lifetime: timedelta = timedelta(minutes=5)) -> str:
    token = keys.issuer.issue("test:someone", [Scope.parse(s) for s in scopes], lifetime)
    return f"Bearer {token}"


# --- the generated cases ------------------------------------------------------------------


CASES = access_params(router.routes, ACCESS, bodies=BODIES)


@pytest.mark.parametrize("case", CASES)
async def test_access(case: AccessCase, client: httpx.AsyncClient, keys: TestKeys) -> None:
    await check_access(client, case, keys.issuer)


def test_the_cases_cover_every_role_on_every_endpoint() -> None:
    cases: list[AccessCase] = [p.values[0] for p in CASES]
    expected = {
        "GET /ledgers/140902/2020-09 as anonymous": "unauthenticated",
        "GET /ledgers/140902/2020-09 as county:140902": "allowed",
        "GET /ledgers/140902/2020-09 as county:140921": "denied",
        "GET /ledgers/140902/2020-09 as institution:abc": "denied",
        "GET /ledgers/abc/2020-09 as institution:abc": "allowed",
        "GET /ledgers/abc/2020-09 as institution:adbc": "denied",
        "GET /ledgers/abc/2020-09 as guarantor": "denied",
        "GET /whitelist as county:140902": "denied",
        "GET /whitelist?county_code=140902 as county:140902": "allowed",
        "GET /whitelist as guarantor": "allowed",
        "GET /reference as guarantor": "allowed",
        "GET /events/stream as organizer": "denied",
        "GET /page as anonymous": "public",
    }
    found = {c.id.rsplit(":", 1)[0]: c.expect for c in cases}
    assert {k: found.get(k) for k in expected} == expected
    fairs = {(c.persona, c.expect) for c in cases if c.template == "/fairs"}
    assert ("county:140921", "denied") in fairs  # the body names 140902
    assert ("county:140902", "allowed") in fairs
    assert ("organizer", "allowed") in fairs
    assert ("department", "denied") in fairs
    for template in {c.template for c in cases} - {"/page"}:
        personas = {c.persona for c in cases if c.template == template}
        assert {"anonymous", "central", "organizer", "department", "guarantor"} <= personas


def test_one_body_field_bound_for_both_roles_is_tried_with_each_roles_own_unit() -> None:
    reports = APIRouter()

    @reports.post("/reports")
    async def report(body: dict[str, str]) -> dict[str, str]:
        return body

    table = {("POST", "/reports"): Rule(county="body:unit_id", institution="body:unit_id")}
    cases = access_cases(reports.routes, table, bodies={("POST", "/reports"): {"unit_id": "?"}})
    allowed = {
        (c.persona, json.loads(c.body or "{}")["unit_id"]) for c in cases if c.expect == "allowed"
    }
    assert ("county:140902", "140902") in allowed
    assert ("institution:abc", "abc") in allowed


def test_a_route_without_a_rule_is_found_and_refused(app: FastAPI) -> None:
    assert uncovered_routes(app, app.state.access_table) == ["GET /forgotten"]
    assert stale_rules(app, app.state.access_table) == []
    assert stale_rules(app, {**app.state.access_table, ("GET", "/gone"): PUBLIC}) == ["GET /gone"]


async def test_static_files_are_ruled_by_their_mount(tmp_path: Path, keys: TestKeys) -> None:
    (tmp_path / "index.html").write_text("<p>看板</p>")
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=tmp_path), name="static")
    protect(app, {("GET", "/static"): PUBLIC}, settings_for(keys))
    assert uncovered_routes(app, app.state.access_table) == []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        assert (await http.get("/static/index.html")).status_code == 200
        assert (await http.head("/static/index.html")).status_code == 200
        assert (await http.post("/static/index.html")).status_code == 403


async def test_a_route_without_a_rule_is_refused_even_to_supervisors(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    response = await client.get("/forgotten", headers={"Authorization": bearer(keys, "central")})
    assert response.status_code == 403
    assert response.json()["error"] == "no_access_rule"


# --- tokens that are refused --------------------------------------------------------------


def claims(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "iss": "firstloan",
        "sub": "county:140902",
        "scope": "county:140902",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def signed(keys: TestKeys, **changes: Any) -> str:
    return "Bearer " + jwt.encode(claims(**changes), keys.issuer.key, algorithm="EdDSA")


def header(value: str) -> dict[str, str]:
    return {"Authorization": value}


def hour_ago() -> int:
    return int((datetime.now(UTC) - timedelta(hours=1)).timestamp())


Headers = Callable[[TestKeys], dict[str, str]]
BAD_CLAIMS: dict[str, dict[str, Any]] = {
    "wrong issuer": {"iss": "elsewhere"},
    "no issuer": {"iss": None},
    "no expiry": {"exp": None},
    "no subject": {"sub": None},
    "unknown scope": {"scope": "county:140902 superuser"},
    "scope without unit": {"scope": "county"},
    "bad county code": {"scope": "county:14"},
    "unit on a plain role": {"scope": "central:all"},
    "empty scope": {"scope": ""},
    "scope not text": {"scope": ["central"]},
    "empty subject": {"sub": ""},
}
STRANGER = Ed25519PrivateKey.generate()


def signed_with(changes: dict[str, Any]) -> Headers:
    return lambda keys: header(signed(keys, **changes))


REFUSED: dict[str, tuple[Headers, str]] = {
    "no header": (lambda _: {}, "missing_token"),
    "empty header": (lambda _: header(""), "missing_token"),
    "basic": (lambda _: header("Basic dXNlcjpwYXNz"), "invalid_token"),
    "bearer alone": (lambda _: header("Bearer"), "invalid_token"),
    "two words": (lambda _: header("Bearer a b"), "invalid_token"),
    "garbage": (lambda _: header("Bearer not.a.jwt"), "invalid_token"),
    "expired": (lambda k: header(signed(k, exp=hour_ago())), "expired_token"),
    "another key": (
        lambda _: header("Bearer " + jwt.encode(claims(), STRANGER, algorithm="EdDSA")),
        "invalid_token",
    ),
    "hs256": (
        lambda _: header("Bearer " + jwt.encode(claims(), "secret" * 6, algorithm="HS256")),
        "invalid_token",
    ),
    "alg none": (
        lambda _: header("Bearer " + jwt.encode(claims(), "", algorithm="none")),
        "invalid_token",
    ),
    **{name: (signed_with(changes), "invalid_token") for name, changes in BAD_CLAIMS.items()},
}


@pytest.mark.parametrize("name", REFUSED)
async def test_refused_tokens_get_401_never_500(
    name: str, client: httpx.AsyncClient, keys: TestKeys
) -> None:
    make_headers, problem = REFUSED[name]
    response = await client.get("/ledgers/140902/2020-09", headers=make_headers(keys))
    assert response.status_code == 401, response.text
    assert response.json()["error"] == problem
    assert response.json()["detail"][0]["field"] == "Authorization"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="firstloan"')
    assert ("error=" in challenge) == (problem != "missing_token")


async def test_a_token_of_the_right_scope_is_admitted(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    response = await client.get("/ledgers/140902/2020-09", headers=header(signed(keys)))
    assert response.status_code == 200
    refused = await client.get("/ledgers/140921/2020-09", headers=header(signed(keys)))
    assert refused.status_code == 403


async def test_a_token_expired_within_the_leeway_still_counts(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    just_now = int((datetime.now(UTC) - timedelta(seconds=5)).timestamp())
    response = await client.get(
        "/ledgers/140902/2020-09", headers=header(signed(keys, exp=just_now))
    )
    assert response.status_code == 200


# --- 403s and what they name --------------------------------------------------------------


async def test_403_names_the_scopes_that_would_do(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    response = await client.get("/ledgers/140921/2020-09", headers=header(signed(keys)))
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "insufficient_scope"
    assert body["required"] == ["central", "province", "county:140921", "institution:140921"]
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


async def test_a_body_naming_another_county_is_refused_with_the_field_named(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    fair = {"county_code": "140921", "title": "对接会"}
    response = await client.post("/fairs", json=fair, headers=header(signed(keys)))
    assert response.status_code == 403
    assert response.json()["detail"][0]["field"] == "county_code"
    assert response.json()["required"] == ["county:140921"]
    own = await client.post(
        "/fairs", json=fair | {"county_code": "140902"}, headers=header(signed(keys))
    )
    assert own.status_code == 201


async def test_a_bank_nominates_only_for_itself(client: httpx.AsyncClient, keys: TestKeys) -> None:
    bank = header(bearer(keys, "institution:icbc"))
    mine = {"county_code": "140921", "institution_id": "icbc"}
    assert (await client.post("/nominations", json=mine, headers=bank)).status_code == 201
    other = mine | {"institution_id": "abc"}
    refused = await client.post("/nominations", json=other, headers=bank)
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["field"] == "county_code or institution_id"
    unnamed = await client.post("/nominations", json={"county_code": "140921"}, headers=bank)
    assert unnamed.status_code == 403


async def test_a_route_that_forgets_the_body_check_is_reported(
    client: httpx.AsyncClient, keys: TestKeys, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="shared.access"):
        response = await client.post(
            "/careless", json={"county_code": "140921", "title": "x"}, headers=header(signed(keys))
        )
    assert response.status_code == 200
    assert "never called access.require" in caplog.text


async def test_only_a_query_token_route_takes_the_token_from_the_query(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    token = bearer(keys, "central").removeprefix("Bearer ")
    stream = await client.get("/events/stream", params={"access_token": token})
    assert stream.status_code == 200
    other = await client.get("/ledgers/140902/2020-09", params={"access_token": token})
    assert other.status_code == 401


async def test_whoami_tells_the_caller_and_the_mode(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    response = await client.get("/auth/whoami", headers=header(bearer(keys, "guarantor")))
    assert response.status_code == 200
    assert response.json()["mode"] == "token"
    assert response.json()["actor"] == "test:someone"
    assert response.json()["scopes"] == ["guarantor"]
    assert (await client.get("/auth/whoami")).status_code == 401


# --- OpenAPI ------------------------------------------------------------------------------


async def test_every_protected_operation_documents_401_403_and_the_scheme(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for (method, path), rule in ACCESS.items():
        operation = document["paths"][path][method.lower()]
        if rule.public:
            assert "401" not in operation["responses"]
            continue
        assert {"401", "403"} <= set(operation["responses"]), (method, path)
        assert {"bearer": []} in operation["security"]
        assert "Who may call" in operation["description"]
    stream = document["paths"]["/events/stream"]["get"]
    assert {"access_token": []} in stream["security"]
    assert "401" not in document["paths"]["/health"]["get"]["responses"]


# --- keys, the verifier, development mode -------------------------------------------------


def test_the_key_pair_is_made_once_with_a_private_signing_key(tmp_path: Path) -> None:
    keys = TestKeys.create(tmp_path / "secrets")
    assert keys.signing.stat().st_mode & 0o777 == 0o600
    assert keys.public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    before = keys.signing.read_bytes()
    keys.public.unlink()
    again = TestKeys.create(tmp_path / "secrets")
    assert again.signing.read_bytes() == before
    assert again.public.exists()


async def test_a_service_without_its_public_key_answers_503_and_takes_a_new_one(
    tmp_path: Path,
) -> None:
    keys = TestKeys(tmp_path / "k.key", tmp_path / "k.pub")
    app = build(settings_for(keys))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        missing = await http.get("/reference", headers=header("Bearer x.y.z"))
        assert missing.status_code == 503
        assert "firstloan token keys" in missing.json()["detail"][0]["message"]
        ensure_signing_keys(keys.signing, keys.public)
        token = bearer(keys, "department")
        assert (await http.get("/reference", headers=header(token))).status_code == 200


async def test_development_mode_makes_everyone_a_supervisor_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    keys = TestKeys(tmp_path / "none.key", tmp_path / "none.pub")
    with caplog.at_level(logging.WARNING, logger="shared.access"):
        app = build(settings_for(keys, http_auth="none"))
    assert "HTTP WITHOUT AUTHENTICATION" in caplog.text
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        assert (await http.get("/ledgers/140921/2020-09")).status_code == 200
        who = (await http.get("/auth/whoami")).json()
        assert who == {
            "mode": "none",
            "actor": "development",
            "scopes": ["central"],
            "expires_at": None,
        }
        assert (await http.get("/forgotten")).status_code == 404  # not routed in this app


def test_development_mode_is_refused_under_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    keys = TestKeys(tmp_path / "ci.key", tmp_path / "ci.pub")
    with pytest.raises(RuntimeError, match="CI"):
        build(settings_for(keys, http_auth="none"))


def test_an_issued_token_says_who_and_what_and_until_when(keys: TestKeys) -> None:
    issued = datetime(2020, 9, 1, tzinfo=UTC)
    token = keys.issuer.issue(
        "supervisor:wang",
        [Scope.parse("county:140902"), Scope(Role.CENTRAL)],
        timedelta(hours=8),
        issued,
    )
    decoded = jwt.decode(token, options={"verify_signature": False})
    assert decoded == {
        "iss": "firstloan",
        "sub": "supervisor:wang",
        "scope": "central county:140902",
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(hours=8)).timestamp()),
    }
    with pytest.raises(ValueError, match="subject"):
        keys.issuer.issue(" ", [Scope(Role.CENTRAL)], timedelta(hours=1))
    assert isinstance(keys.issuer, TokenIssuer)


async def test_a_write_is_audited_with_what_its_caller_was_told(keys: TestKeys) -> None:
    """A miss and a crash with their status; a failure of the infrastructure that the request
    outlives, served again whole, not at all (its retried attempt is what happened)."""
    router = APIRouter()
    calls = {"flaky": 0}

    @router.post("/flaky")
    async def flaky() -> dict[str, str]:
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise ConnectionRefusedError("the database is restarting")
        return {"served": "again"}

    @router.post("/missing")
    async def missing() -> dict[str, str]:
        raise HTTPException(404, [{"field": "id", "message": "no such thing"}])

    @router.post("/broken")
    async def broken() -> dict[str, str]:
        raise ValueError("a bug")

    app = FastAPI()
    app.include_router(router)
    rules = {("POST", p): ANY_CALLER for p in ("/flaky", "/missing", "/broken")}
    protect(app, rules, settings_for(keys))
    recorded: list[AuditEntry] = []

    async def record_refusal(entry: AuditEntry) -> None:
        recorded.append(entry)

    app.state.record_refusal = record_refusal
    app.add_middleware(RetryTransient, patience=5)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"Authorization": bearer(keys, "central")}
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        assert (await http.post("/flaky", headers=headers)).status_code == 200
        assert (await http.post("/missing", headers=headers)).status_code == 404
        assert (await http.post("/broken", headers=headers)).status_code == 500
    assert calls["flaky"] == 2
    assert [(e.action, e.outcome) for e in recorded] == [
        ("POST /missing", "404"),
        ("POST /broken", "500"),
    ]
