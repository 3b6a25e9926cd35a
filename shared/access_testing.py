"""Access tests generated from a service's table: every role on every endpoint.

`access_params(routes, table)` makes one pytest case per (endpoint, caller): no token (401),
each role the rule denies (403), each role it allows (anything but 401, 403 or a 5xx). A
county or institution bound to a path or query parameter is tried with its own unit there and
with another unit; bound to a body field, with a sample body (`bodies`) that names its own or
another unit. `check_access` runs one case; `check_coverage` fails for a route without a rule
or a rule without a route.

    CASES = access_params(api.router.routes, ACCESS, allowed_marks=[pytest.mark.integration])

    @pytest.mark.parametrize("case", CASES)
    async def test_access(case: AccessCase, client: httpx.AsyncClient, issuer: TokenIssuer):
        await check_access(client, case, issuer)
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount

from shared.access import (
    READS,
    AccessTable,
    Binding,
    Rule,
    flat_routes,
    route_keys,
    stale_rules,
    uncovered_routes,
)
from shared.auth import Role, Scope, TokenIssuer, ensure_signing_keys, load_signing_key
from shared.reference import ReferenceData, load_reference
from shared.service import Service
from shared.settings import ServiceSettings
from shared.validators import uscc_check_character

Expect = Literal["public", "unauthenticated", "denied", "allowed"]
Body = Mapping[str, Any]
UNBOUND = (Role.CENTRAL, Role.ORGANIZER, Role.DEPARTMENT, Role.GUARANTOR)


@dataclass(frozen=True)
class Samples:
    """Valid values for path and query parameters: two counties and two institutions of the
    reference data (a caller's own unit and another), and a value per parameter name."""

    county: str
    other_county: str
    institution: str
    other_institution: str
    values: Mapping[str, str]

    @classmethod
    def of(cls, reference: ReferenceData | None = None, **values: str) -> Samples:
        data = reference or load_reference()
        counties = sorted(data.county_codes)
        institutions = sorted(data.institution_ids)
        start = data.campaign.start
        # A code no other test's data uses: whether the enterprise exists is the generated
        # cases' own business, not the order the session's tests ran in.
        uscc = f"91{counties[0]}AQ0000001"
        defaults = {
            "unit_id": counties[0],
            "county_code": counties[0],
            "institution_id": institutions[0],
            "uscc": uscc + uscc_check_character(uscc),
            "period": f"{start.year}-{start.month:02d}",
            "as_of": start.isoformat(),
            "on": start.isoformat(),
            "version": "1",
            "path": "index.html",
        }
        return cls(counties[0], counties[1], institutions[0], institutions[1], defaults | values)

    def own(self, role: Role) -> str:
        return self.county if role is Role.COUNTY else self.institution

    def other(self, role: Role) -> str:
        return self.other_county if role is Role.COUNTY else self.other_institution


@dataclass(frozen=True)
class AccessCase:
    method: str
    template: str
    persona: str  # "anonymous", or the token's scope
    expect: Expect
    path_params: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    body: str | None = None  # JSON text
    scopes: tuple[str, ...] = field(default=())

    @property
    def path(self) -> str:
        path = self.template
        for name, value in self.path_params:
            path = path.replace(f"{{{name}}}", value).replace(f"{{{name}:path}}", value)
        return path

    @property
    def id(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        target = f"{self.path}?{query}" if query else self.path
        return f"{self.method} {target} as {self.persona}: {self.expect}"


NO_SAMPLE_BODY = "(no sample body)"


def _allowed(rule: Rule, scope: Scope, named: Mapping[Role, str | None], method: str) -> bool:
    """What the table says of `scope` on a request naming these units per bound role."""
    if rule.any_caller or (scope.role in UNBOUND and rule.allows(scope.role)):
        return True
    if scope.role is Role.PROVINCE:
        return rule.central and method in READS
    if rule.binding(scope.role) is None:
        return False
    unit = named.get(scope.role)
    return unit == NO_SAMPLE_BODY or unit == scope.unit


def _params(template: str) -> list[str]:
    names = []
    for part in template.split("{")[1:]:
        names.append(part.split("}")[0].split(":")[0])
    return names


def access_cases(
    routes: FastAPI | Iterable[BaseRoute],
    table: AccessTable,
    *,
    samples: Samples | None = None,
    bodies: Mapping[tuple[str, str], Body] | None = None,
) -> list[AccessCase]:
    """Every (endpoint, caller) case of `table` over the given routes (an app's, or a
    router's). `bodies`: a sample JSON body per (method, path) whose body-bound fields are
    set to the caller's own or another unit."""
    known = samples or Samples.of()
    listed = routes.routes if isinstance(routes, FastAPI) else routes
    cases: list[AccessCase] = []
    for route in flat_routes(listed):
        for method, template in route_keys(route):
            rule = table.get((method, template))
            if rule is None:
                continue
            if isinstance(route.original_route, Mount):
                template = f"{template}/{{path}}"
            body = (bodies or {}).get((method, template))
            cases += _endpoint_cases(method, template, rule, known, body)
    unique = {(c.id, c.body): c for c in cases}
    return list(unique.values())


def _endpoint_cases(
    method: str, template: str, rule: Rule, samples: Samples, body: Body | None
) -> list[AccessCase]:
    names = _params(template)
    base = AccessCase(method, template, "anonymous", "public")
    if rule.public:
        return [replace(base, path_params=_fill(names, samples, {}))]
    bound = {r: rule.binding(r) for r in (Role.COUNTY, Role.INSTITUTION)}
    # The units a request names for the bound roles: the samples' defaults, then each role's
    # own unit in its path or query parameter or, given a sample body, its body field (two
    # roles bound to one field name each its own unit in turn).
    fillings: list[dict[Role, str]] = [{}]
    for role, binding in bound.items():
        if binding is not None and (binding.source != "body" or body is not None):
            fillings.append({role: samples.own(role)})
    cases = []
    for units in fillings:
        request = _request(base, names, samples, bound, units, body)
        named = {r: _unit_named(request, b) for r, b in bound.items() if b is not None}
        cases.append(replace(request, expect="unauthenticated"))
        for scope in _personas(samples):
            if named.get(scope.role) == NO_SAMPLE_BODY and scope.unit == samples.other(scope.role):
                continue  # another unit against a body field needs a sample body
            expect: Expect = "allowed" if _allowed(rule, scope, named, method) else "denied"
            cases.append(replace(request, persona=str(scope), expect=expect, scopes=(str(scope),)))
    return cases


def _personas(samples: Samples) -> list[Scope]:
    personas = [Scope(role) for role in (*UNBOUND, Role.PROVINCE)]
    for role in (Role.COUNTY, Role.INSTITUTION):
        personas += [Scope(role, samples.own(role)), Scope(role, samples.other(role))]
    return personas


def _fill(names: list[str], samples: Samples, given: Mapping[str, str]) -> tuple[Any, ...]:
    return tuple((n, given.get(n, samples.values.get(n, "sample"))) for n in names)


def _request(
    base: AccessCase,
    names: list[str],
    samples: Samples,
    bound: Mapping[Role, Binding | None],
    units: Mapping[Role, str],
    body: Body | None,
) -> AccessCase:
    path: dict[str, str] = {}
    query: dict[str, str] = {}
    content = dict(body) if body is not None else None
    for role, binding in bound.items():
        if binding is None:
            continue
        unit = units.get(role)
        if binding.source == "body" and content is not None:
            if not units or role in units:
                content[binding.name] = samples.own(role)
        elif binding.source == "path" and unit is not None:
            path[binding.name] = unit
        elif binding.source == "query" and unit is not None:
            query[binding.name] = unit
    return replace(
        base,
        path_params=_fill(names, samples, path),
        query=tuple(sorted(query.items())),
        body=json.dumps(content) if content is not None else None,
    )


def _unit_named(case: AccessCase, binding: Binding) -> str | None:
    if binding.source == "path":
        return dict(case.path_params).get(binding.name)
    if binding.source == "query":
        return dict(case.query).get(binding.name)
    if case.body is None:
        return NO_SAMPLE_BODY
    found = json.loads(case.body).get(binding.name)
    return str(found) if found is not None else None


def access_params(
    routes: FastAPI | Iterable[BaseRoute],
    table: AccessTable,
    *,
    samples: Samples | None = None,
    bodies: Mapping[tuple[str, str], Body] | None = None,
    allowed_marks: Collection[pytest.MarkDecorator] = (),
) -> list[Any]:
    """`access_cases` as pytest parameters with readable ids; `allowed_marks` go on the cases
    that reach the route (public and allowed: they need what the route needs, e.g. the
    database), so that 401 and 403 cases run without it."""
    return [
        pytest.param(
            case,
            id=case.id,
            marks=list(allowed_marks) if case.expect in ("public", "allowed") else [],
        )
        for case in access_cases(routes, table, samples=samples, bodies=bodies)
    ]


async def check_access(client: httpx.AsyncClient, case: AccessCase, issuer: TokenIssuer) -> None:
    headers = {}
    if case.scopes:
        token = issuer.issue(
            f"test:{case.persona}", [Scope.parse(s) for s in case.scopes], timedelta(minutes=5)
        )
        headers["Authorization"] = f"Bearer {token}"
    if case.body is not None:
        headers["Content-Type"] = "application/json"
    response = await client.request(
        case.method, case.path, params=dict(case.query), headers=headers, content=case.body
    )
    said = f"{case.id}: HTTP {response.status_code} {response.text[:300]}"
    if case.expect == "unauthenticated":
        assert response.status_code == 401, said
        assert response.headers.get("www-authenticate", "").startswith("Bearer"), said
        assert response.json()["error"] == "missing_token", said
    elif case.expect == "denied":
        assert response.status_code == 403, said
        assert response.json()["error"] == "insufficient_scope", said
    else:
        assert response.status_code not in (401, 403), said
        assert response.status_code < 500, said


async def check_access_on(service: Service[Any], case: AccessCase) -> None:
    """`check_access` against a service's app, with tokens signed by the key it trusts."""
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        await check_access(client, case, TokenIssuer.from_settings(service.settings))


def check_coverage(service: Service[Any]) -> None:
    """Every route of the service's app has a rule, and every rule a route."""
    app = service.app
    table: AccessTable = app.state.access_table
    assert uncovered_routes(app, table) == [], "routes without an access rule (refused to all)"
    assert stale_rules(app, table) == [], "access rules that match no route"


# --- tokens for tests ---------------------------------------------------------------------


@dataclass(frozen=True)
class TestKeys:
    """A key pair of a test's own, in `directory`: `settings()` points a service at it."""

    __test__ = False  # not a test class
    signing: Path
    public: Path

    @classmethod
    def create(cls, directory: Path) -> TestKeys:
        keys = cls(directory / "token-signing.key", directory / "token-signing.pub")
        ensure_signing_keys(keys.signing, keys.public)
        return keys

    def settings(self) -> dict[str, Any]:
        return {"token_signing_key_file": self.signing, "token_public_key_file": self.public}

    @property
    def issuer(self) -> TokenIssuer:
        return TokenIssuer(load_signing_key(self.signing))


def supervisor_headers() -> dict[str, str]:
    """A supervisor's (central) Authorization header, signed with this machine's key."""
    return bearer_headers(ServiceSettings(service="test"))


def bearer_headers(settings: ServiceSettings, *scopes: str) -> dict[str, str]:
    """An Authorization header for tests that call a service through HTTP (central unless
    `scopes` say otherwise), signed with the key the settings name."""
    token = TokenIssuer.from_settings(settings).issue(
        "test:client", [Scope.parse(s) for s in scopes or ("central",)], timedelta(hours=1)
    )
    return {"Authorization": f"Bearer {token}"}


def supervisor_client(service: Service[Any]) -> httpx.AsyncClient:
    """An in-process client of the service with a supervisor's token (central), for tests
    about a flow rather than about access."""
    headers = bearer_headers(service.settings)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app), base_url="http://svc", headers=headers
    )
