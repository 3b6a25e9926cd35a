"""Who may call which endpoint: one table of rules per service, enforced in one place.

A service's table maps (HTTP method, route path as FastAPI declares it) to a `Rule`:

    ACCESS = {
        ("GET", "/ledgers/{unit_id}/{period}"):
            Rule(county="path:unit_id", institution="path:unit_id"),
        ("POST", "/fairs"): Rule(organizer=True, county="body:county_code"),
        ("GET", "/whitelist"): Rule(guarantor=True, department=True),
    }

`create_app(..., access=ACCESS)` installs `AccessControl`, a middleware that finds the route a
request matches, authenticates the caller (401: no, expired or invalid token) and checks the
rule (403, naming the scopes that would do), binding county and institution scopes to path or
query parameters. A scope bound to a body field is checked by the route itself, once it has
the body: `access.require(county=body.county_code)` (403 otherwise). A route without a rule
is refused, whoever calls; `uncovered_routes` finds them (and the generated tests fail).

`central` (supervisors) may call everything unless a rule says `central=False`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, Literal, cast

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.audit import CURRENT_REQUEST, AuditEntry, RequestContext
from shared.auth import (
    DEVELOPMENT_CALLER,
    AuthenticationError,
    Caller,
    PublicKeyFile,
    Role,
    TokenProblem,
    bearer_token,
    public_key_file,
)
from shared.db import is_transient
from shared.origin import request_origin, trusted_networks
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

REALM = "firstloan"
QUERY_TOKEN = "access_token"
DEVELOPMENT_MODE_WARNING = (
    "HTTP WITHOUT AUTHENTICATION (FIRSTLOAN_HTTP_AUTH=none): every caller is a supervisor "
    "(central) named 'development'. Development only."
)
Source = Literal["path", "query", "body"]
UNBOUND_ROLES = (Role.CENTRAL, Role.ORGANIZER, Role.DEPARTMENT, Role.GUARANTOR)
# The province reads what supervisors read, and writes nothing.
READS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Binding:
    """Where a request names the unit a county or institution scope must match."""

    source: Source
    name: str

    @classmethod
    def parse(cls, text: str) -> Binding:
        source, _, name = text.partition(":")
        if source not in ("path", "query", "body") or not name.isidentifier():
            raise ValueError(f"a binding is path:<name>, query:<name> or body:<name>: {text!r}")
        return cls(cast(Source, source), name)

    def __str__(self) -> str:
        return f"{self.source}:{self.name}"


@dataclass(frozen=True)
class Rule:
    """Which roles may call an endpoint. `county` and `institution` are bindings
    ("path:unit_id", "query:county_code", "body:institution_id"): a caller with that role
    may call for its own unit only. `public`: no token at all. `any_caller`: any valid token.
    `query_token`: the token may come as `?access_token=` (EventSource cannot send headers)."""

    central: bool = True
    county: str | None = None
    institution: str | None = None
    organizer: bool = False
    department: bool = False
    guarantor: bool = False
    any_caller: bool = False
    public: bool = False
    query_token: bool = False

    def __post_init__(self) -> None:
        for binding in (self.county, self.institution):
            if binding is not None:
                Binding.parse(binding)

    def binding(self, role: Role) -> Binding | None:
        text = {Role.COUNTY: self.county, Role.INSTITUTION: self.institution}.get(role)
        return Binding.parse(text) if text else None

    def allows(self, role: Role) -> bool:
        """Whether `role` may call at all (for its own unit, if bound)."""
        flags = {
            Role.CENTRAL: self.central,
            Role.ORGANIZER: self.organizer,
            Role.DEPARTMENT: self.department,
            Role.GUARANTOR: self.guarantor,
        }
        return self.any_caller or flags.get(role, False) or self.binding(role) is not None

    @property
    def body_bound(self) -> bool:
        return any(
            b is not None and b.source == "body"
            for b in (self.binding(Role.COUNTY), self.binding(Role.INSTITUTION))
        )

    def describe(self) -> str:
        if self.public:
            return "public"
        if self.any_caller:
            return "any valid token"
        parts = [str(r) for r in UNBOUND_ROLES if self.allows(r)]
        for role in (Role.COUNTY, Role.INSTITUTION):
            binding = self.binding(role)
            if binding is not None:
                parts.append(f"{role}:<{binding.name}> ({binding.source})")
        return ", ".join(parts) or "nobody"


PUBLIC = Rule(public=True)
ANY_CALLER = Rule(any_caller=True)
CENTRAL = Rule()

AccessTable = Mapping[tuple[str, str], Rule]

# What create_app itself serves: operations and documentation, open to all.
PLATFORM_ACCESS: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/auth/whoami"): ANY_CALLER,
    ("GET", "/audit"): CENTRAL,
    ("GET", "/campaigns"): ANY_CALLER,
}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AccessDenied(HTTPException):
    """403, naming the scopes that would have done and the field that was checked."""

    def __init__(self, required: Sequence[str], field: str = "Authorization") -> None:
        needs = ", ".join(required) if required else "(no scope: the endpoint has no rule)"
        super().__init__(403, detail=[{"field": field, "message": f"needs a scope: {needs}"}])
        self.required = list(required)
        self.field = field


@dataclass
class Access:
    """A request's admitted caller, and how the rule admitted it: `unbound` when by a role
    not tied to a unit (central, organizer, ...), else only for the caller's own units."""

    caller: Caller
    rule: Rule
    unbound: bool
    checked: bool = field(default=False, compare=False)

    def may_act_for(self, role: Role, unit: str | None) -> bool:
        if self.unbound:
            return True
        bound = self.rule.binding(role) is not None
        return bound and unit is not None and self.caller.has(role, unit)

    def require(self, *, county: str | None = None, institution: str | None = None) -> None:
        """Refuse (403) unless the caller may act for `county` or for `institution` (the body's
        fields of the rule's bindings; None when the body names none)."""
        self.checked = True
        wanted = {Role.COUNTY: county, Role.INSTITUTION: institution}
        if any(self.may_act_for(role, unit) for role, unit in wanted.items()):
            return
        required, fields = [], []
        for role, unit in wanted.items():
            binding = self.rule.binding(role)
            if binding is not None:
                required.append(f"{role}:{unit if unit is not None else '<' + binding.name + '>'}")
                fields.append(binding.name)
        raise AccessDenied(required or _unbound_scopes(self.rule), " or ".join(fields) or "body")

    def require_county(self, code: str | None) -> None:
        self.require(county=code)

    def require_institution(self, institution_id: str | None) -> None:
        self.require(institution=institution_id)


def access_of(request: Request) -> Access:
    found = getattr(request.state, "access", None)
    if not isinstance(found, Access):
        raise AccessDenied([], "Authorization")  # no access control ran: refuse
    return found


AccessDep = Annotated[Access, Depends(access_of)]


def _unbound_scopes(rule: Rule) -> list[str]:
    return [str(r) for r in UNBOUND_ROLES if rule.allows(r)]


def decide(
    rule: Rule,
    caller: Caller,
    path: Mapping[str, str],
    query: Mapping[str, str],
    method: str = "GET",
) -> Access | list[str]:
    """The caller's admission under `rule`, or the scopes that would admit it."""
    if rule.any_caller or any(rule.allows(r) and r in caller.roles for r in UNBOUND_ROLES):
        return Access(caller, rule, unbound=True)
    province_reads = rule.central and method in READS
    if province_reads and Role.PROVINCE in caller.roles:
        return Access(caller, rule, unbound=True)
    required = _unbound_scopes(rule) + ([str(Role.PROVINCE)] if province_reads else [])
    for role in (Role.COUNTY, Role.INSTITUTION):
        binding = rule.binding(role)
        if binding is None:
            continue
        if binding.source == "body":
            if caller.units(role):
                return Access(caller, rule, unbound=False)
            required.append(f"{role}:<{binding.name}>")
            continue
        unit = (path if binding.source == "path" else query).get(binding.name)
        if unit is not None and caller.has(role, unit):
            return Access(caller, rule, unbound=False)
        required.append(f"{role}:{unit if unit is not None else '<' + binding.name + '>'}")
    return required


# --- routes -------------------------------------------------------------------------------


def flat_routes(routes: Iterable[BaseRoute]) -> list[RouteContext]:
    """Every route, also those of included routers, in the order the router tries them."""
    return list(iter_route_contexts(list(routes)))


def route_keys(route: RouteContext) -> list[tuple[str, str]]:
    """The table keys a route answers to: (method, path) for each method but HEAD (which
    follows GET); a mount (static files) is ("GET", its path)."""
    if route.path is None:
        return []
    if isinstance(route.original_route, Mount):
        return [("GET", route.path)]
    methods = route.methods or {"GET"}
    return [(m, route.path) for m in sorted(methods) if m != "HEAD" or methods == {"HEAD"}]


def uncovered_routes(app: FastAPI, table: AccessTable) -> list[str]:
    """Routes the table has no rule for (refused to everyone), as 'METHOD /path'."""
    keys = (key for route in flat_routes(app.routes) for key in route_keys(route))
    return [f"{m} {p}" for m, p in keys if (m, p) not in table]


def stale_rules(app: FastAPI, table: AccessTable) -> list[str]:
    """Rules for routes the app does not have (a renamed route, a typo)."""
    served = {key for route in flat_routes(app.routes) for key in route_keys(route)}
    return [f"{m} {p}" for m, p in table if (m, p) not in served]


def _match(
    routes: Iterable[RouteContext], scope: Scope
) -> tuple[RouteContext, dict[str, Any]] | None:
    for route in routes:
        matched, child = route.matches(scope)
        if matched is Match.FULL:
            return route, dict(child.get("path_params", {}))
    return None  # no route, or only with another method: the router answers 404 or 405


def _rule_for(table: AccessTable, route: RouteContext, method: str) -> Rule | None:
    path = route.path or ""
    rule = table.get((method, path))
    if rule is None and method == "HEAD":
        rule = table.get(("GET", path))
    return rule


# --- the middleware -----------------------------------------------------------------------


class AccessControl:
    """Authenticates and authorizes every HTTP request before its route runs."""

    def __init__(self, app: ASGIApp, table: AccessTable, settings: ServiceSettings) -> None:
        self.app = app
        self.table = table
        self.development = settings.http_auth == "none"
        self.key = PublicKeyFile(
            public_key_file(settings), timedelta(seconds=settings.token_leeway_seconds)
        )
        self.trusted_proxies = trusted_networks(settings.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # none are served; none may slip past the table
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        found = _match(flat_routes(request.app.routes), scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        route, path_params = found
        rule = _rule_for(self.table, route, scope["method"])
        if rule is None:
            log.error("%s %s has no access rule: refused", scope["method"], request.url.path)
            await _forbidden([], "no_access_rule")(scope, receive, send)
            return
        if rule.public:
            await self.app(scope, receive, send)
            return
        origin = request_origin(scope, self.trusted_proxies)
        action = f"{scope['method']} {route.path}"
        try:
            caller = self._authenticate(request, rule)
        except AuthenticationError as error:
            await _refused(request, "anonymous", action, origin, "401")
            await _unauthenticated(error)(scope, receive, send)
            return
        except _NoKeyError as error:
            await _no_key(str(error))(scope, receive, send)
            return
        admitted = decide(rule, caller, path_params, request.query_params, request.method)
        if not isinstance(admitted, Access):
            await _refused(request, caller.actor, action, origin, "403")
            await _forbidden(admitted, "insufficient_scope")(scope, receive, send)
            return
        scope.setdefault("state", {})["access"] = admitted
        if rule.body_bound and not admitted.unbound:
            send = _watch_body_check(send, admitted, scope, request, origin, action)
        if scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        served = RequestContext(caller.actor, action, request.url.path, origin)
        token = CURRENT_REQUEST.set(served)
        answered = _AnsweredStatus(send)
        try:
            await self.app(scope, receive, answered)
        except Exception as error:
            # Unanswered, it is the server's 500, unless the infrastructure failed: then the
            # request is served again whole (shared.retrying), and that attempt is audited.
            if answered.status is not None or not is_transient(error):
                await _refused(request, caller.actor, action, origin, str(answered.status or 500))
            raise
        else:
            if answered.status is not None and answered.status >= 400:
                await _refused(request, caller.actor, action, origin, str(answered.status))
        finally:
            CURRENT_REQUEST.reset(token)

    def _authenticate(self, request: Request, rule: Rule) -> Caller:
        if self.development:
            return DEVELOPMENT_CALLER
        header = request.headers.get("authorization")
        if header is None and rule.query_token and QUERY_TOKEN in request.query_params:
            header = f"Bearer {request.query_params[QUERY_TOKEN]}"
        token = bearer_token(header)
        verifier = self.key()
        if verifier is None:
            raise _NoKeyError(
                f"this service cannot verify tokens: no readable public key at {self.key.path} "
                "(`firstloan token keys` makes the key pair)"
            )
        return verifier.verify(token)


class _NoKeyError(Exception):
    pass


class _AnsweredStatus:
    """Passes a response on and keeps its status (None until one was sent)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status: int | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        await self.send(message)


async def _refused(request: Request, actor: str, action: str, origin: str, status: str) -> None:
    """A refused request is audited in a transaction of its own (there is no effect)."""
    recorder = getattr(request.app.state, "record_refusal", None)
    if recorder is not None:
        await recorder(AuditEntry(actor, action, request.url.path, origin, status))


def _watch_body_check(
    send: Send, access: Access, scope: Scope, request: Request, origin: str, action: str
) -> Send:
    """A route admitted on a body binding must check the body (`access.require`): log loudly
    when one answered success without doing so. (A refusal there is audited like any other
    error of a write; a read refused there, here.)"""

    async def watching(message: Message) -> None:
        started = message["type"] == "http.response.start"
        if started and message["status"] == 403 and scope["method"] not in WRITES:
            await _refused(request, access.caller.actor, action, origin, "403")
        if started and message["status"] < 400 and not access.checked:
            log.error(
                "%s %s admitted %s on a body binding but never called access.require",
                scope["method"],
                scope["path"],
                access.caller.actor,
            )
        await send(message)

    return watching


def _header_text(text: str) -> str:
    return text.replace('"', "'").replace("\\", "/").encode("ascii", "replace").decode()


def _unauthenticated(error: AuthenticationError) -> JSONResponse:
    challenge = f'Bearer realm="{REALM}"'
    if error.problem is not TokenProblem.MISSING:
        description = _header_text(error.message)
        challenge += f', error="invalid_token", error_description="{description}"'
    return JSONResponse(
        {"detail": [{"field": "Authorization", "message": error.message}], "error": error.problem},
        status_code=401,
        headers={"WWW-Authenticate": challenge},
    )


def _forbidden(required: Sequence[str], error: str, field: str = "Authorization") -> JSONResponse:
    denied = AccessDenied(required, field)
    scopes = _header_text(" ".join(required))
    return JSONResponse(
        {"detail": denied.detail, "error": error, "required": list(required)},
        status_code=403,
        headers={
            "WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", '
            f'scope="{scopes}"'
        },
    )


def _no_key(message: str) -> JSONResponse:
    return JSONResponse(
        {"detail": [{"field": "Authorization", "message": message}], "error": "no_public_key"},
        status_code=503,
    )


async def _access_denied(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AccessDenied)
    return _forbidden(error.required, "insufficient_scope", error.field)


# --- OpenAPI ------------------------------------------------------------------------------

PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "error": {
            "type": "string",
            "enum": [*TokenProblem, "insufficient_scope", "no_access_rule"],
        },
        "required": {"type": "array", "items": {"type": "string"}},
    },
}


def document_access(
    schema: dict[str, Any], routes: Iterable[BaseRoute], table: AccessTable
) -> None:
    """Add the bearer scheme and, to every protected operation, who may call it and its 401
    and 403 answers."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["AccessProblem"] = PROBLEM_SCHEMA
    schemes = components.setdefault("securitySchemes", {})
    schemes["bearer"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    problem = {"application/json": {"schema": {"$ref": "#/components/schemas/AccessProblem"}}}
    for route in flat_routes(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method, path in route_keys(route):
            operation = schema.get("paths", {}).get(route.path_format, {}).get(method.lower())
            rule = table.get((method, path))
            if operation is None or rule is None or rule.public:
                continue
            security: list[dict[str, list[str]]] = [{"bearer": []}]
            if rule.query_token:
                schemes["access_token"] = {"type": "apiKey", "in": "query", "name": QUERY_TOKEN}
                security.append({"access_token": []})
            operation["security"] = security
            who = f"**Who may call**: {rule.describe()}."
            operation["description"] = f"{operation.get('description', '')}\n\n{who}".strip()
            responses = operation.setdefault("responses", {})
            responses["401"] = {"description": "No token, or an expired or invalid one"}
            responses["403"] = {"description": "The token's scopes do not allow it"}
            for status in ("401", "403"):
                responses[status]["content"] = problem


# --- installing it ------------------------------------------------------------------------


def check_mode(settings: ServiceSettings) -> None:
    """Development mode is refused under CI, and announced wherever it runs."""
    if settings.http_auth != "none":
        return
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        raise RuntimeError("FIRSTLOAN_HTTP_AUTH=none is refused where CI is set")
    log.warning(DEVELOPMENT_MODE_WARNING)


def protect(app: FastAPI, table: AccessTable | None, settings: ServiceSettings) -> None:
    """Put every route of `app` (also those added later) under `table`, plus the platform's
    own public routes; document it in the OpenAPI document; serve `GET /auth/whoami`.
    Without a table, only the platform's own routes answer: everything else is refused."""
    check_mode(settings)
    if table is None:
        log.error("%s has no access table: every route of its own is refused", app.title)
        table = {}
    rules: dict[tuple[str, str], Rule] = {**PLATFORM_ACCESS, **table}
    app.state.access_table = rules
    app.add_middleware(AccessControl, table=rules, settings=settings)
    app.add_exception_handler(AccessDenied, _access_denied)

    @app.get("/auth/whoami", tags=["operations"], summary="The caller of this token")
    async def whoami(access: AccessDep) -> dict[str, Any]:
        caller = access.caller
        return {
            "mode": settings.http_auth,
            "actor": caller.actor,
            "scopes": sorted(str(s) for s in caller.scopes),
            "expires_at": caller.expires_at.isoformat() if caller.expires_at else None,
        }

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_access(generate(), app.routes, rules)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def announce(app: FastAPI, settings: ServiceSettings) -> None:
    """At every start: development mode, and routes the table leaves refused."""
    if settings.http_auth == "none":
        log.warning(DEVELOPMENT_MODE_WARNING)
    table: AccessTable = getattr(app.state, "access_table", {})
    for route in uncovered_routes(app, table):
        log.error("%s has no access rule: it is refused to every caller", route)
    for rule in stale_rules(app, table):
        log.warning("access rule for %s matches no route", rule)
