"""Where a request comes from, for the audit trail: the address of the socket it arrived on.
A forwarding header (`X-Forwarded-For`) is anyone's to write, so it is read only when that
socket is a proxy the operator listed (`FIRSTLOAN_TRUSTED_PROXIES`, CIDR networks or
addresses, empty by default): then the origin is the nearest address in the header that is
not one of those proxies, the first hop no trusted proxy vouches past."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import Scope

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(setting: str) -> tuple[IPNetwork, ...]:
    """`setting` as `FIRSTLOAN_TRUSTED_PROXIES` holds it; ValueError on an entry that is not
    a network or an address."""
    entries = (e.strip() for e in setting.replace(" ", ",").split(","))
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries if e)


def request_origin(scope: Scope, trusted: Sequence[IPNetwork]) -> str:
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in _forwarded_for(scope).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return peer


def _forwarded_for(scope: Scope) -> str:
    values = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-forwarded-for"]
    return ",".join(values)


def _is_trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted)
