"""The audit trail on a running service: an accepted write, a refused one and a bank event
each leave who, what, when and from where; supervisors read it; nobody can change it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import roster.app
from roster.settings import RosterSettings
from shared.access_testing import bearer_headers
from shared.contracts.bank import LoanIssued
from shared.service import Service
from shared.testing import eventually, publish_event, sample_uscc

pytestmark = pytest.mark.integration

USCC = sample_uscc(1, tag="AD")


@pytest.fixture(scope="module")
async def running(private_namespace: str) -> AsyncIterator[Service[Any]]:
    app = roster.app.build(
        RosterSettings(namespace=private_namespace, consumer_batch_timeout_ms=50)
    )
    runtime = app.runtime
    async with runtime.running():
        yield app


def client(app: Service[Any], *scopes: str, peer: str = "10.1.2.3") -> httpx.AsyncClient:
    headers = bearer_headers(app.runtime.settings, *scopes)
    transport = httpx.ASGITransport(app=app.app, client=(peer, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://roster", headers=headers)


def nomination() -> dict[str, Any]:
    return {
        "uscc": USCC,
        "name": "忻州示例审计有限公司",
        "county_code": "140902",
        "size_class": "micro",
        "source": "government",
        "nominated_by": "忻府区工信局",
        "nominated_on": "2020-09-05",
        "no_loan_in_5y_attested": True,
    }


async def trail(app: Service[Any], **query: str) -> list[dict[str, Any]]:
    async with client(app) as supervisor:
        answer = await supervisor.get("/audit", params=query)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def test_writes_refusals_and_bank_events_are_audited(
    running: Service[Any], kafka_producer: AIOKafkaProducer
) -> None:
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    async with client(running, "department") as department:
        assert (await department.post("/nominations", json=nomination())).status_code == 201
    async with client(running, "county:140902") as county:
        refused = await county.post(f"/enterprises/{USCC}/delist", json={"reason": "other"})
        assert refused.status_code == 403
        assert (await county.get("/audit")).status_code == 403  # supervisors only
    runtime = running.runtime
    loan = LoanIssued.model_validate(
        {
            "loan_id": "AUDIT-1",
            "institution_id": "boc",
            "uscc": USCC,
            "enterprise_name": "忻州示例审计有限公司",
            "amount_wan": "50",
            "issued_on": "2020-10-08",
            "first_loan_attested": True,
            "guarantee": "credit",
        }
    )
    await publish_event(
        kafka_producer,
        runtime.settings.topic("bank.boc.events"),
        loan,
        source="urn:firstloan:institution:boc",
        key=USCC,
    )

    bank_topic = runtime.settings.topic("bank.boc.events")
    await kafka_producer.send_and_wait(bank_topic, b"{not json", key=USCC.encode())

    async def bank_event_audited() -> bool:
        actions = {e["action"] for e in await trail(running)}
        return {"cn.firstloan.LoanIssued", "record"} <= actions

    await eventually(bank_event_audited, what="both bank records in the audit trail")
    entries = await trail(running, since=since)
    by_action = {(e["action"], e["outcome"]): e for e in entries}
    written = by_action[("POST /nominations", "committed")]
    assert (written["actor"], written["target"], written["origin"]) == (
        "test:client",
        "/nominations",
        "10.1.2.3",
    )
    denied = by_action[("POST /enterprises/{uscc}/delist", "403")]
    assert denied["target"] == f"/enterprises/{USCC}/delist"
    bank = by_action[("cn.firstloan.LoanIssued", "applied")]
    assert bank["actor"] == "urn:firstloan:institution:boc"
    assert bank["origin"].startswith(runtime.settings.topic("bank.boc.events"))
    broken = by_action[("record", "dead-lettered: invalid_json")]
    assert (broken["actor"], broken["target"]) == (f"topic:{bank_topic}", broken["origin"])
    assert broken["origin"].startswith(f"{bank_topic}:")
    assert all(datetime.fromisoformat(e["at"]) >= datetime.fromisoformat(since) for e in entries)
    assert await trail(running, actor="nobody") == []


async def test_the_trail_cannot_be_changed(running: Service[Any]) -> None:
    runtime = running.runtime
    for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with runtime.engine.begin() as connection:
                await connection.execute(text(statement))


async def test_the_origin_is_the_socket_unless_a_trusted_proxy_forwards(
    running: Service[Any],
) -> None:
    forged = {"X-Forwarded-For": "203.0.113.66"}
    target = f"/enterprises/{sample_uscc(3, tag='AD')}/delist"
    async with client(running, "county:140902", peer="127.0.0.1") as county:
        refused = await county.post(target, json={"reason": "other"}, headers=forged)
        assert refused.status_code == 403
    namespace = running.runtime.settings.namespace
    behind_proxy = roster.app.build(
        RosterSettings(namespace=namespace, trusted_proxies="127.0.0.1")
    )
    async with client(behind_proxy, "county:140902", peer="127.0.0.1") as county:
        proxied = await county.post(target, json={"reason": "other"}, headers=forged)
        assert proxied.status_code == 403
    denied = [e for e in await trail(running) if e["target"] == target]
    assert [(e["outcome"], e["origin"]) for e in denied] == [
        ("403", "127.0.0.1"),
        ("403", "203.0.113.66"),
    ]


async def test_the_outcome_is_what_happened(running: Service[Any]) -> None:
    """A miss and a refusal are audited with their status; `committed` only for an effect."""
    unknown = f"/enterprises/{sample_uscc(2, tag='AD')}/delist"
    async with client(running) as supervisor:
        missed = await supervisor.post(unknown, json={"reason": "other", "on": "2020-10-01"})
        assert missed.status_code == 404, missed.text
        invalid = await supervisor.post("/nominations", json={**nomination(), "uscc": 5})
        assert invalid.status_code == 422, invalid.text
    entries = await trail(running)
    assert [e["outcome"] for e in entries if e["target"] == unknown] == ["404"]
    nominations = [e["outcome"] for e in entries if e["action"] == "POST /nominations"]
    assert nominations[-1] == "422"
