"""Who is calling: signed access tokens, their scopes, and the key pair that signs them.

A token is a JWT signed with Ed25519 (EdDSA). Its claims: `iss` "firstloan", `sub` the actor
("supervisor:wang", "county:140902"), `scope` the granted scopes separated by spaces, `iat`
and `exp`. Operators issue tokens (`firstloan token issue`) with the signing key
(`<secrets_dir>/token-signing.key`, PEM, mode 0600, generated on first use); the services
hold only the public key beside it (`token-signing.pub`) and verify signature, issuer and
expiry, with a small leeway for clocks that differ.

Scopes: `central` (supervisors: everything; `central:<region>` a city's supervisors, its
campaigns only), `province` (the provincial branch: reads every city's campaigns, writes
nothing), `county:<code>` (a county sub-branch),
`institution:<id>` (a bank), `organizer` (fairs and attendance), `department` (government
departments: nominations), `guarantor` (the whitelist). An unknown scope makes the whole
token invalid: a token never means more, or less, than it says.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.settings import ServiceSettings

ISSUER = "firstloan"
ALGORITHM = "EdDSA"
SIGNING_KEY_NAME = "token-signing.key"
PUBLIC_KEY_NAME = "token-signing.pub"
COUNTY_CODE = re.compile(r"^[0-9]{6}$")
INSTITUTION_ID = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
REGION_CODE = re.compile(r"^[0-9]{4}$")
DURATION = re.compile(r"^([1-9][0-9]{0,5})([smhd])$")
DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
LONGEST_LIFETIME = timedelta(days=90)


class Role(StrEnum):
    CENTRAL = "central"
    COUNTY = "county"
    INSTITUTION = "institution"
    ORGANIZER = "organizer"
    DEPARTMENT = "department"
    GUARANTOR = "guarantor"
    PROVINCE = "province"


# Roles whose scope names a unit: `county:<code>`, `institution:<id>`.
UNIT_ROLES = {Role.COUNTY: COUNTY_CODE, Role.INSTITUTION: INSTITUTION_ID}
# Roles whose scope may name a unit: `central:<region>`, a city's supervisors (its campaigns
# only); plain `central` supervises every region.
OPTIONAL_UNIT_ROLES = {Role.CENTRAL: REGION_CODE}


class InvalidScopeError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Scope:
    role: Role
    unit: str | None = None

    @classmethod
    def parse(cls, text: str) -> Scope:
        name, _, unit = text.partition(":")
        try:
            role = Role(name)
        except ValueError:
            raise InvalidScopeError(f"unknown scope {text!r}") from None
        pattern = UNIT_ROLES.get(role)
        optional = OPTIONAL_UNIT_ROLES.get(role)
        if optional is not None and text != name:
            if not optional.match(unit):
                raise InvalidScopeError(
                    f"scope {text!r}: {name} names a region ({optional.pattern})"
                )
            return cls(role, unit)
        if pattern is None:
            if unit or text != name:
                raise InvalidScopeError(f"scope {name!r} names no unit: {text!r}")
            return cls(role)
        if not pattern.match(unit):
            raise InvalidScopeError(f"scope {text!r}: {name} needs a unit ({pattern.pattern})")
        return cls(role, unit)

    def __str__(self) -> str:
        return f"{self.role}:{self.unit}" if self.unit is not None else str(self.role)


def parse_scopes(texts: Iterable[str]) -> frozenset[Scope]:
    scopes = frozenset(Scope.parse(t) for t in texts)
    if not scopes:
        raise InvalidScopeError("no scope")
    return scopes


@dataclass(frozen=True)
class Caller:
    """A verified token's actor and scopes."""

    actor: str
    scopes: frozenset[Scope]
    expires_at: datetime | None = None

    def has(self, role: Role, unit: str | None = None) -> bool:
        return Scope(role, unit) in self.scopes

    def units(self, role: Role) -> frozenset[str]:
        return frozenset(s.unit for s in self.scopes if s.role is role and s.unit is not None)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(s.role for s in self.scopes)

    def sees_region(self, region_code: str, county_codes: Iterable[str]) -> bool:
        """Whether the caller may read a campaign of this region: plain `central` and
        `province` every region, `central:<region>` its own, a county its region's (its own
        county's figures among them); other roles are bound by their routes' rules."""
        if self.has(Role.CENTRAL) or self.has(Role.PROVINCE):
            return True
        if region_code in self.units(Role.CENTRAL):
            return True
        counties = self.units(Role.COUNTY)
        if counties:
            return any(code in counties for code in county_codes)
        return Role.CENTRAL not in self.roles


DEVELOPMENT_CALLER = Caller("development", frozenset({Scope(Role.CENTRAL)}))


class TokenProblem(StrEnum):
    MISSING = "missing_token"
    EXPIRED = "expired_token"
    INVALID = "invalid_token"


class AuthenticationError(Exception):
    def __init__(self, problem: TokenProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


# --- keys ---------------------------------------------------------------------------------


def signing_key_file(settings: ServiceSettings) -> Path:
    return settings.token_signing_key_file or settings.secrets_dir / SIGNING_KEY_NAME


def public_key_file(settings: ServiceSettings) -> Path:
    return settings.token_public_key_file or settings.secrets_dir / PUBLIC_KEY_NAME


def ensure_signing_keys(signing: Path, public: Path) -> bool:
    """Create the key pair unless the signing key exists (then rewrite a missing public key
    from it); True when a new pair was made."""
    if signing.exists():
        if not public.exists():
            _write(public, _public_pem(load_signing_key(signing)), 0o644)
        return False
    signing.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        os.chmod(signing.parent, 0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write(signing, pem, 0o600)
    public.parent.mkdir(parents=True, exist_ok=True)
    public.unlink(missing_ok=True)
    _write(public, _public_pem(key), 0o644)
    return True


def _public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write(path: Path, content: bytes, mode: int) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


# --- tokens -------------------------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """`30m`, `8h`, `7d` (also `45s`), at most LONGEST_LIFETIME."""
    found = DURATION.match(text.strip())
    if not found:
        raise ValueError(f"not a duration: {text!r} (a number and s, m, h or d: 30m, 8h, 7d)")
    lifetime = timedelta(**{DURATION_UNITS[found[2]]: int(found[1])})
    if lifetime > LONGEST_LIFETIME:
        raise ValueError(f"{text!r} is longer than the longest lifetime, {LONGEST_LIFETIME.days}d")
    return lifetime


@dataclass(frozen=True)
class TokenIssuer:
    key: Ed25519PrivateKey

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenIssuer:
        """The operator's issuer: the signing key, created with its public key if missing."""
        signing = signing_key_file(settings)
        ensure_signing_keys(signing, public_key_file(settings))
        return cls(load_signing_key(signing))

    def issue(
        self,
        subject: str,
        scopes: Iterable[Scope],
        lifetime: timedelta,
        now: datetime | None = None,
    ) -> str:
        if not subject.strip():
            raise ValueError("the subject (who the token is for) is empty")
        granted = sorted(set(scopes))
        if not granted:
            raise InvalidScopeError("no scope")
        issued = now or datetime.now(UTC)
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "scope": " ".join(str(s) for s in granted),
            "iat": int(issued.timestamp()),
            "exp": int((issued + lifetime).timestamp()),
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM)


@dataclass(frozen=True)
class TokenVerifier:
    key: Ed25519PublicKey
    leeway: timedelta = timedelta(seconds=30)

    def verify(self, token: str) -> Caller:
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                leeway=self.leeway,
                options={"require": ["iss", "sub", "scope", "iat", "exp"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError(TokenProblem.EXPIRED, "the token has expired") from None
        except jwt.PyJWTError as error:
            raise AuthenticationError(TokenProblem.INVALID, f"invalid token: {error}") from None
        scope, subject = claims["scope"], claims["sub"]
        if not isinstance(scope, str) or not isinstance(subject, str) or not subject:
            raise AuthenticationError(TokenProblem.INVALID, "invalid token: bad sub or scope")
        try:
            scopes = parse_scopes(scope.split())
        except InvalidScopeError as error:
            raise AuthenticationError(TokenProblem.INVALID, f"invalid token: {error}") from None
        return Caller(subject, scopes, datetime.fromtimestamp(claims["exp"], UTC))


class PublicKeyFile:
    """The verifier of a public key file, re-read when the file changes (a new key pair
    takes effect without a restart); `None` while the file is missing or unreadable."""

    def __init__(self, path: Path, leeway: timedelta) -> None:
        self.path = path
        self._leeway = leeway
        self._stamp: tuple[int, int] | None = None
        self._verifier: TokenVerifier | None = None

    def __call__(self) -> TokenVerifier | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                self._verifier = TokenVerifier(load_public_key(self.path), self._leeway)
            except (OSError, ValueError):
                self._verifier = None
            self._stamp = stamp
        return self._verifier


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    if authorization is None or not authorization.strip():
        raise AuthenticationError(TokenProblem.MISSING, "no bearer token (Authorization header)")
    kind, _, token = authorization.strip().partition(" ")
    if kind.lower() != "bearer" or not token.strip() or " " in token.strip():
        raise AuthenticationError(
            TokenProblem.INVALID, "the Authorization header is not `Bearer <token>`"
        )
    return token.strip()
