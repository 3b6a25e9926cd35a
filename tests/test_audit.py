"""The audit trail on a running service: an accepted write and a refused one each leave who,
what, when and from where; bank records leave a row per batch and partition and one per dead
letter, and supervisors ask what became of one record by its id or its place; nobody can
change any of it."""

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
    event = await publish_event(
        kafka_producer,
        runtime.settings.topic("bank.boc.events"),
        loan,
        source="urn:firstloan:institution:boc",
        key=USCC,
    )

    bank_topic = runtime.settings.topic("bank.boc.events")
    sent = await kafka_producer.send_and_wait(bank_topic, b"{not json", key=USCC.encode())

    async def bank_event_audited() -> bool:
        actions = {e["action"] for e in await trail(running)}
        return {"bank batch", "record"} <= actions

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
    # Adapted (issue 23): a bank record applied has no row of its own any more; its batch has.
    assert ("cn.firstloan.LoanIssued", "applied") not in by_action
    batches = [e for e in entries if e["action"] == "bank batch"]
    assert {e["target"] for e in batches} == {bank_topic}
    assert sum(e["applied"] for e in batches) == 1
    assert sum(e["dead_lettered"] for e in batches) == 1
    assert sum(e["by_type"].get("cn.firstloan.LoanIssued", 0) for e in batches) == 1
    applied_in = [e for e in batches if e["applied"]]
    assert [e["actor"] for e in applied_in] == ["urn:firstloan:institution:boc"]
    assert applied_in[0]["origin"].startswith(f"{bank_topic}:")
    assert "applied 1" in applied_in[0]["outcome"]
    assert "LoanIssued 1" in applied_in[0]["outcome"]
    broken = by_action[("record", "dead-lettered: invalid_json")]
    assert (broken["actor"], broken["target"]) == (f"topic:{bank_topic}", broken["origin"])
    assert broken["origin"] == f"{bank_topic}:{sent.partition}@{sent.offset}"

    # One record, by its (source, id): applied, in the batch that covers its offset.
    [loan_record] = await trail(running, source=event.source, event_id=event.id)
    assert loan_record["action"] == "cn.firstloan.LoanIssued"
    assert loan_record["outcome"] == "applied"
    assert (loan_record["actor"], loan_record["target"]) == (event.source, event.id)
    batch = loan_record["batch"]
    assert batch["batch_id"] == applied_in[0]["batch_id"]
    assert batch["at"] == loan_record["at"]  # the batch's transaction is the claim's
    topic, place = loan_record["origin"].rsplit(":", 1)
    partition, offset = (int(n) for n in place.split("@"))
    assert topic == bank_topic
    assert (batch["partition"], batch["target"]) == (partition, bank_topic)
    assert batch["first_offset"] <= offset <= batch["last_offset"]
    # The same record by its place in the log.
    by_place = await trail(running, topic=topic, partition=str(partition), offset=str(offset))
    assert by_place == [loan_record]
    # The broken one by its place: dead-lettered, and why.
    [dead] = await trail(
        running, topic=bank_topic, partition=str(sent.partition), offset=str(sent.offset)
    )
    assert (dead["action"], dead["outcome"]) == ("record", "dead-lettered: invalid_json")
    assert dead["batch"]["dead_lettered"] >= 1
    assert await trail(running, source=event.source, event_id="no-such-event") == []
    assert runtime.audit is not None
    async with runtime.engine.connect() as connection:
        assert await runtime.audit.applied_beyond_claims(connection, runtime.inbox.table) == 0
    async with client(running) as supervisor:
        half = await supervisor.get("/audit", params={"source": event.source})
        assert half.status_code == 422
        both = {"source": event.source, "event_id": event.id, "topic": bank_topic}
        assert (await supervisor.get("/audit", params=both)).status_code == 422
    assert all(datetime.fromisoformat(e["at"]) >= datetime.fromisoformat(since) for e in entries)
    assert await trail(running, actor="nobody") == []


async def test_the_trail_cannot_be_changed(running: Service[Any]) -> None:
    runtime = running.runtime
    for statement in (
        "UPDATE audit SET actor = 'someone else'",
        "DELETE FROM audit",
        "UPDATE audit_batches SET applied = 0",
        "DELETE FROM audit_batches",
        "TRUNCATE audit_batches",
    ):
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
