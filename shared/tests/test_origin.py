"""A request's origin is its socket's address; forwarding headers count only from proxies
the operator trusts, and then only as far back as the trusted hops go."""

from __future__ import annotations

import pytest
from starlette.types import Scope

from shared.origin import request_origin, trusted_networks


def scope(peer: str, *forwarded: str) -> Scope:
    headers = [(b"x-forwarded-for", f.encode()) for f in forwarded]
    return {"type": "http", "client": (peer, 50000), "headers": headers}


def test_without_trusted_proxies_the_socket_is_the_origin() -> None:
    assert request_origin(scope("127.0.0.1", "203.0.113.66"), ()) == "127.0.0.1"
    assert request_origin({"type": "http", "headers": []}, ()) == "unknown"


def test_a_header_from_a_client_that_is_not_a_trusted_proxy_is_ignored() -> None:
    trusted = trusted_networks("10.0.0.0/8")
    assert request_origin(scope("198.51.100.9", "203.0.113.66"), trusted) == "198.51.100.9"


def test_a_trusted_proxy_names_the_first_hop_it_does_not_vouch_past() -> None:
    trusted = trusted_networks("127.0.0.1, 10.0.0.0/8")
    assert request_origin(scope("127.0.0.1", "203.0.113.66"), trusted) == "203.0.113.66"
    # A client may write a header of its own before the proxies add theirs: the nearest
    # untrusted hop is the origin, not what the client claimed first.
    chain = scope("127.0.0.1", "192.0.2.1, 198.51.100.7", "10.0.0.5")
    assert request_origin(chain, trusted) == "198.51.100.7"
    assert request_origin(scope("10.0.0.5", "10.0.0.6"), trusted) == "10.0.0.5"
    assert request_origin(scope("127.0.0.1"), trusted) == "127.0.0.1"


def test_a_proxy_list_entry_that_is_not_a_network_is_refused() -> None:
    with pytest.raises(ValueError, match=r"proxy\.internal"):
        trusted_networks("127.0.0.1, proxy.internal")
    assert trusted_networks("") == ()
