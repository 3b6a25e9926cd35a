"""Where a webhook may point. A subscriber names the URL the platform will POST to, so a URL
is a way into the platform's own network (server-side request forgery, OWASP API7): the
cloud's metadata service, the database's port, the services' own APIs. The policy is
checked when a subscription is made and again at every send, on the address the name
resolves to then (DNS can change between the two), and the send connects to that very
address, so nothing resolves the name a second time behind the check.

By default a target is an https URL whose every address is a public unicast one. An
operator may allow networks or hosts (`FIRSTLOAN_WEBHOOK_ALLOW`, a comma-separated list of
CIDR networks, addresses and host names): a target allowed so may use http and a private
address (the demo's robot on loopback, a group robot on the bank's own network)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Addresses that carry an IPv4 address inside an IPv6 one (RFC 6052's NAT64 prefix; the
# mapped, 6to4 and Teredo forms have properties of their own).
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class TargetRefusedError(ValueError):
    """The target is not one the policy lets the platform call; the message says why."""


@dataclass(frozen=True)
class Pinned:
    """A checked target: the URL to request (its host replaced by the checked address),
    and the name the receiver knows itself by (the Host header and TLS server name)."""

    url: str
    host_header: str
    server_name: str


@dataclass(frozen=True)
class TargetPolicy:
    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, setting: str) -> TargetPolicy:
        """`setting` as `FIRSTLOAN_WEBHOOK_ALLOW` holds it; raises ValueError on an entry
        that is neither a network, an address nor a host name."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in (e.strip() for e in setting.replace(" ", ",").split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not _is_host_name(entry):
                    raise ValueError(
                        f"{entry!r} is not a network, an address or a host name"
                    ) from None
                hosts.add(entry.lower().rstrip("."))
        return cls(tuple(networks), frozenset(hosts))

    async def check(self, url: str) -> Pinned:
        """The target checked and pinned to one of its addresses, or TargetRefusedError."""
        parts = _parts(url)
        hostname = (parts.hostname or "").rstrip(".")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        named = hostname in self.hosts
        addresses = await _resolve(hostname, port)
        if not named:
            for address in addresses:
                self._check_address(hostname, address)
        if parts.scheme != "https" and not (named or self._all_allowed(addresses)):
            raise TargetRefusedError("only https targets, unless the operator allows the host")
        return _pin(parts, addresses[0])

    def _check_address(self, hostname: str, address: IPAddress) -> None:
        if self._allowed(address):
            return
        problem = forbidden_because(address)
        if problem is not None:
            shown = str(address) if str(address) == hostname else f"{hostname} ({address})"
            raise TargetRefusedError(f"{shown} is {problem}: not a public address")

    def _allowed(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)

    def _all_allowed(self, addresses: list[IPAddress]) -> bool:
        return all(self._allowed(a) for a in addresses)


def forbidden_because(address: IPAddress) -> str | None:
    """Why `address` is no place for a webhook (None: a public unicast address)."""
    translated = _translated_ipv4(address)
    if translated is not None:  # the IPv4 address is what is reached
        problem = forbidden_because(translated)
        return None if problem is None else f"{problem} (as {address})"
    for tunnelled in _tunnelled_ipv4(address):
        problem = forbidden_because(tunnelled)
        if problem is not None:
            return f"{problem} (inside {address})"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    return next((name for name, applies in checks if applies), None)


def _translated_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped or NAT64 address stands for."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _tunnelled_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 ends a 6to4 or Teredo address carries."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    inside = [address.sixtofour]
    if address.teredo is not None:
        inside.append(address.teredo[1])
    return [a for a in inside if a is not None]


def _parts(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError as error:
        raise TargetRefusedError(f"not a URL: {error}") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefusedError("a webhook is an https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefusedError("a webhook URL carries no user name or password")
    return parts


async def _resolve(hostname: str, port: int) -> list[IPAddress]:
    """Every address `hostname` stands for, as the system's resolver reads it: a literal in
    any spelling (decimal 2130706433, octal 0177.0.0.1, hex, short 127.1) comes back as the
    address it means, so the checks see what a connection would reach."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            hostname, port, type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError) as error:
        raise TargetRefusedError(f"{hostname} does not resolve: {error}") from error
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefusedError(f"{hostname} does not resolve")
    return addresses


def _pin(parts: SplitResult, address: IPAddress) -> Pinned:
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    netloc = f"{host}:{parts.port}" if parts.port else host
    pinned = parts._replace(netloc=netloc, fragment="")
    return Pinned(pinned.geturl(), parts.netloc, parts.hostname or "")


def _is_host_name(entry: str) -> bool:
    labels = entry.rstrip(".").split(".")
    return all(
        0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
        for label in labels
    )
