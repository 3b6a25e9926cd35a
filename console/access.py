"""Tokens of the `firstloan` command: issued for operators, and carried by its own calls to the
services (exports, the demo)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.auth import Scope, TokenIssuer, ensure_signing_keys, public_key_file, signing_key_file
from shared.settings import ServiceSettings

# A token given to the command (a county exporting its own ledger, say) is used as it is.
TOKEN_VARIABLE = "FIRSTLOAN_TOKEN"


@dataclass(frozen=True)
class Issued:
    token: str
    expires_at: datetime


def issue(
    settings: ServiceSettings, subject: str, scopes: Sequence[Scope], lifetime: timedelta
) -> Issued:
    """A token signed with this machine's signing key (made, with its public key, if missing)."""
    issued = datetime.now().astimezone()
    token = TokenIssuer.from_settings(settings).issue(subject, scopes, lifetime, issued)
    return Issued(token, issued + lifetime)


def ensure_keys(settings: ServiceSettings) -> bool:
    return ensure_signing_keys(signing_key_file(settings), public_key_file(settings))


def service_headers(settings: ServiceSettings, subject: str, lifetime: timedelta) -> dict[str, str]:
    """The Authorization header of the command's own calls: `FIRSTLOAN_TOKEN` when set, else
    a supervisor's token of the operator, for `lifetime`; none in development mode."""
    given = os.environ.get(TOKEN_VARIABLE, "").strip()
    if given:
        return {"Authorization": f"Bearer {given}"}
    if settings.http_auth == "none":
        return {}
    issued = issue(settings, subject, [Scope.parse("central")], lifetime)
    return {"Authorization": f"Bearer {issued.token}"}
