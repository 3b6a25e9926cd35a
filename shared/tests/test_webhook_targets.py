"""The webhook target policy: every spelling of an inside address is refused, public https
targets pass, and what an operator allows passes over http too."""

from __future__ import annotations

import ipaddress

import pytest

from shared.webhook_targets import TargetPolicy, TargetRefusedError, forbidden_because

DEFAULT = TargetPolicy()

INSIDE = [
    ("https://127.0.0.1/", "loopback"),
    ("https://2130706433/", "loopback"),  # decimal
    ("https://0177.0.0.1/", "loopback"),  # octal
    ("https://0x7f.1/", "loopback"),  # hex, short
    ("https://127.1:8101/nominations", "loopback"),  # short form: the platform's own API
    ("https://017700000001/", "loopback"),
    ("https://localhost/", "loopback"),
    ("https://[::1]/", "loopback"),
    ("https://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped IPv6
    ("https://[::ffff:7f00:1]/", "loopback"),
    ("https://[2002:7f00:1::]/", "loopback"),  # 6to4 around loopback
    ("https://[64:ff9b::a9fe:a9fe]/", "link-local"),  # NAT64 around the metadata service
    ("https://169.254.169.254/latest/meta-data/iam/security-credentials/", "link-local"),
    ("https://0251.0376.0251.0376/latest/meta-data/", "link-local"),
    ("https://[fe80::1]/", "link-local"),
    ("https://10.1.2.3/", "private"),
    ("https://172.16.0.1/", "private"),
    ("https://192.168.1.1/", "private"),
    ("https://[fd00::1]/", "private"),
    ("https://100.64.0.1/", "not globally routable"),  # carrier-grade NAT
    ("https://224.0.0.1/", "multicast"),
    ("https://[ff02::1]/", "multicast"),
    ("https://0.0.0.0/", "unspecified"),
    ("https://[::]/", "unspecified"),
    ("https://240.0.0.1/", "reserved"),
    ("https://255.255.255.255/", "reserved"),
    ("https://192.0.2.10/", "private"),  # documentation
    ("https://[64:ff9b::7f00:1]/", "loopback"),
]


@pytest.mark.parametrize(("url", "why"), INSIDE)
async def test_every_spelling_of_an_inside_address_is_refused(url: str, why: str) -> None:
    with pytest.raises(TargetRefusedError, match=why):
        await DEFAULT.check(url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.215.14/robot", "only https"),
        ("ftp://93.184.215.14/robot", "https:// URL"),
        ("https:///robot", "https:// URL"),
        ("https://user:secret@93.184.215.14/robot", "no user name"),
        ("https://93.184.215.14:99999/robot", "not a URL"),
        ("https://no-such-host.invalid/robot", "does not resolve"),
    ],
)
async def test_what_is_not_an_https_url_to_a_host_is_refused(url: str, why: str) -> None:
    with pytest.raises(TargetRefusedError, match=why):
        await DEFAULT.check(url)


async def test_a_public_https_target_is_pinned_to_its_checked_address() -> None:
    pinned = await DEFAULT.check("https://93.184.215.14:8443/cgi-bin/webhook/send?key=k#x")
    assert pinned.url == "https://93.184.215.14:8443/cgi-bin/webhook/send?key=k"
    assert (pinned.host_header, pinned.server_name) == ("93.184.215.14:8443", "93.184.215.14")


async def test_a_name_is_pinned_to_its_address_and_keeps_its_name_for_host_and_tls() -> None:
    allowed = TargetPolicy.parse("localhost")
    pinned = await allowed.check("http://localhost:8080/robot")
    assert pinned.url in ("http://127.0.0.1:8080/robot", "http://[::1]:8080/robot")
    assert (pinned.host_header, pinned.server_name) == ("localhost:8080", "localhost")


async def test_an_allowed_network_may_be_reached_over_http() -> None:
    allowed = TargetPolicy.parse("127.0.0.1, 10.0.0.0/8")
    assert (await allowed.check("http://127.0.0.1:9/robot")).url == "http://127.0.0.1:9/robot"
    assert (await allowed.check("http://2130706433:9/")).url == "http://127.0.0.1:9/"
    assert (await allowed.check("https://10.20.30.40/")).url == "https://10.20.30.40/"
    with pytest.raises(TargetRefusedError, match="link-local"):
        await allowed.check("http://169.254.169.254/")
    with pytest.raises(TargetRefusedError, match="private"):
        await allowed.check("https://192.168.0.1/")


def test_an_allow_list_entry_that_is_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="not a network"):
        TargetPolicy.parse("127.0.0.1,http://robot/")
    assert TargetPolicy.parse("") == TargetPolicy()


def test_public_addresses_are_not_forbidden() -> None:
    for public in ("93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"):
        assert forbidden_because(ipaddress.ip_address(public)) is None
