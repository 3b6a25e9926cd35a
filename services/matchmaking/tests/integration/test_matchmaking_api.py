"""Matchmaking through HTTP, its consumers and Kafka: fairs, attendance (flagged off the list),
pairings with products, plans and visits, bank outcomes in working days, events on the topic.

Roster and bank events are handed to matchmaking's own consumers (the same checks, inbox and
transaction as from Kafka) rather than published: other services of the test session read those
topics, and a listing or a loan invented here must not change their counts."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest

import matchmaking.app
from matchmaking.settings import MatchmakingSettings
from shared.access_testing import bearer_headers
from shared.asyncapi import event_types
from shared.consumer import ConsumedRecord, Consumer
from shared.envelope import new_event, to_binary, to_structured
from shared.service import Service
from shared.testing import eventually, read_topic
from shared.topics import MATCHMAKING_EVENTS, ROSTER_EVENTS
from shared.validators import uscc_check_character

pytestmark = pytest.mark.integration

COUNTY = "140932"  # 偏关县


def new_uscc() -> str:
    body = f"92140932MA{secrets.token_hex(4).upper().replace('I', '1').replace('O', '0')[:7]}"
    body = "".join(c if c in "0123456789ABCDEFGHJKLMNPQRTUWXY" else "1" for c in body)
    return body + uscc_check_character(body)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app.app)
    headers = bearer_headers(app.runtime.settings)
    async with httpx.AsyncClient(transport=transport, base_url="http://x", headers=headers) as http:
        yield http


def consumer(service: Service[Any], name: str) -> Consumer:
    runtime = service.runtime
    return next(s.consumer for s in runtime.consumers if s.consumer.name == f"matchmaking.{name}")


async def deliver_roster(app: Any, uscc: str, listed_on: str) -> None:
    runtime = app.runtime
    data = {
        "uscc": uscc,
        "name": "偏关示例农产品合作社",
        "county_code": COUNTY,
        "listed_on": listed_on,
    }
    value, headers = to_structured(new_event("EnterpriseListed", "urn:firstloan:roster", data))
    topic = runtime.settings.topic(ROSTER_EVENTS)
    await consumer(app, "roster").process(
        [ConsumedRecord(topic, 0, 0, None, value, tuple(headers))]
    )


async def deliver_bank(app: Any, institution: str, name: str, data: dict[str, Any]) -> None:
    runtime = app.runtime
    event = new_event(
        name, f"urn:firstloan:institution:{institution}", {"institution_id": institution, **data}
    )
    value, headers = to_binary(event)
    topic = runtime.settings.topic(f"bank.{institution}.events")
    record = ConsumedRecord(topic, 0, 0, None, value, tuple(headers))
    await consumer(app, "bank").process([record])


async def events_about(app: Any, keys: set[str]) -> list[dict[str, Any]]:
    runtime = app.runtime
    records = await read_topic(
        runtime.settings.kafka_bootstrap, runtime.settings.topic(MATCHMAKING_EVENTS)
    )
    return [json.loads(r.value) for r in records if r.key and r.key.decode() in keys]


async def test_fair_attendance_match_outcomes_and_events(
    app: Any, client: httpx.AsyncClient
) -> None:
    listed, unlisted = new_uscc(), new_uscc()
    await deliver_roster(app, listed, "2020-09-05")

    bad = await client.post("/fairs", json={"county_code": "1409", "held_on": "2020-09-31"})
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["detail"]} == {"title", "county_code", "held_on"}
    unknown = await client.post(
        "/fairs", json={"county_code": "999999", "title": "t", "held_on": "2020-09-20"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "county_code"

    fair = await client.post(
        "/fairs",
        json={"county_code": COUNTY, "title": "偏关县首贷专场对接会", "held_on": "2020-09-20"},
    )
    assert fair.status_code == 201, fair.text
    fair_id = fair.json()["fair_id"]

    first = await client.post(f"/fairs/{fair_id}/attendance", json={"uscc": listed})
    again = await client.post(f"/fairs/{fair_id}/attendance", json={"uscc": listed})
    off_list = await client.post(f"/fairs/{fair_id}/attendance", json={"uscc": unlisted})
    bank = await client.post(f"/fairs/{fair_id}/attendance", json={"institution_id": "datong"})
    assert (first.status_code, again.status_code, off_list.status_code) == (201, 200, 201)
    assert first.json()["listed"] is True
    assert off_list.json()["flagged"] is True
    assert bank.status_code == 201
    neither = await client.post(f"/fairs/{fair_id}/attendance", json={})
    assert neither.status_code == 422
    missing = await client.post("/fairs/fair-none/attendance", json={"uscc": listed})
    assert missing.status_code == 404

    products = [
        await client.post(
            "/institutions/datong/products",
            json={
                "name": name,
                "min_amount_wan": "5",
                "max_amount_wan": "300",
                "min_rate_pct": "4.1",
                "max_rate_pct": "5.5",
                "guarantees": ["credit", "government_guarantee"],
                "max_term_months": 12,
            },
        )
        for name in ("首贷快易贷", "晋商首贷通", "第三款")
    ]
    assert [p.status_code for p in products] == [201, 201, 409]
    product_id = products[0].json()["product_id"]

    no_fair = await client.post(
        "/matches",
        json={
            "uscc": listed,
            "institution_id": "datong",
            "matched_on": "2020-09-20",
            "channel": "fair",
        },
    )
    assert no_fair.status_code == 422
    assert no_fair.json()["detail"][0]["field"] == "fair_id"
    body = {
        "uscc": listed,
        "institution_id": "datong",
        "matched_on": "2020-09-20",
        "channel": "fair",
        "fair_id": fair_id,
        "product_id": product_id,
    }
    matched = await client.post("/matches", json=body)
    assert matched.status_code == 201, matched.text
    assert (await client.post("/matches", json=body)).status_code == 200
    match_id = matched.json()["match_id"]
    assert matched.json()["listed"] is True
    assert matched.json()["county_code"] == COUNTY

    # Across National Day 2020: 10-01..10-08 off, Saturday 10-10 worked.
    common = {"uscc": listed, "enterprise_name": "偏关示例农产品合作社", "guarantee": "credit"}
    await deliver_bank(
        app,
        "datong",
        "CreditGranted",
        {
            **common,
            "credit_id": f"C-{listed}",
            "amount_wan": "80.00",
            "granted_on": "2020-10-12",
            "applied_on": "2020-09-28",
        },
    )
    await deliver_bank(
        app,
        "datong",
        "LoanIssued",
        {
            **common,
            "loan_id": f"L-{listed}",
            "amount_wan": "60.00",
            "issued_on": "2020-10-15",
            "applied_on": "2020-09-28",
            "first_loan_attested": True,
        },
    )
    detail = (await client.get(f"/matches/{match_id}")).json()
    timing = {o["outcome"]: (o["working_days"], o["within_goal"]) for o in detail["outcomes"]}
    assert timing == {"credit_granted": (5, True), "loan_issued": (8, True)}

    # A decline that arrives before its pairing is recorded is credited to it when it is.
    await deliver_bank(
        app,
        "jincheng",
        "CreditDeclined",
        {
            "uscc": unlisted,
            "enterprise_name": "n",
            "declined_on": "2020-10-30",
            "problems": ["lack_of_collateral"],
        },
    )
    online = await client.post(
        "/matches",
        json={
            "uscc": unlisted,
            "institution_id": "jincheng",
            "matched_on": "2020-09-30",
            "channel": "online",
        },
    )
    assert online.status_code == 201
    assert online.json()["listed"] is False
    (declined,) = online.json()["outcomes"]
    assert (declined["outcome"], declined["working_days"], declined["within_goal"]) == (
        "credit_declined",
        17,
        False,
    )

    figures = (await client.get("/institutions/datong/figures")).json()
    assert figures["credit_granted"] >= 1
    assert figures["to_decision"]["within_goal"] >= 1
    assert figures["by_channel"]["fair"] >= 1

    async def announced() -> bool:
        types = [
            e["type"].removeprefix("cn.firstloan.")
            for e in await events_about(app, {listed, unlisted, fair_id})
        ]
        return sorted(types) == sorted(
            [
                "FairScheduled",
                "AttendanceRegistered",
                "AttendanceRegistered",
                "AttendanceRegistered",
                "EnterpriseMatched",
                "EnterpriseMatched",
                "MatchOutcomeRecorded",
                "MatchOutcomeRecorded",
                "MatchOutcomeRecorded",
            ]
        )

    await eventually(announced, what="matchmaking's events on its topic")
    events = await events_about(app, {listed})
    (matched_event,) = [e for e in events if e["type"] == "cn.firstloan.EnterpriseMatched"]
    assert matched_event["data"]["institution_id"] == "datong"
    assert matched_event["data"]["product_id"] == product_id


async def test_cultivation_plan_and_visits(app: Any, client: httpx.AsyncClient) -> None:
    uscc = new_uscc()
    plan = {
        "institution_id": "xzrcu",
        "responsible_person": "王经理",
        "problems": ["lack_of_collateral", "irregular_finances"],
        "measures": ["规范财务报表", "引入政府性融资担保"],
        "follow_up_dates": ["2020-10-20", "2020-11-20"],
    }
    first = await client.put(f"/enterprises/{uscc}/plan", json=plan)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1
    assert [p["name_zh"] for p in first.json()["problems"]] == ["缺抵押", "财务不规范"]
    same = await client.put(f"/enterprises/{uscc}/plan", json=plan)
    assert same.json()["version"] == 1
    revised = await client.put(
        f"/enterprises/{uscc}/plan", json={**plan, "problems": ["lack_of_information"]}
    )
    assert revised.json()["version"] == 2

    bad = await client.put(f"/enterprises/{uscc}/plan", json={**plan, "problems": ["bad_luck"]})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"].startswith("problems")

    visit = await client.post(
        f"/enterprises/{uscc}/visits",
        json={
            "institution_id": "xzrcu",
            "visited_on": "2020-10-20",
            "visitor": "王经理",
            "notes": "走访：账务已开始规范",
        },
    )
    assert visit.status_code == 201
    shown = (await client.get(f"/enterprises/{uscc}/plan")).json()
    assert [v["notes"] for v in shown["visits"]] == ["走访：账务已开始规范"]

    async def announced() -> bool:
        types = [e["type"] for e in await events_about(app, {uscc})]
        return types.count("cn.firstloan.CultivationPlanRecorded") == 2 and (
            "cn.firstloan.EnterpriseVisited" in types
        )

    await eventually(announced, what="plan and visit events")


async def test_the_asyncapi_document_and_its_page_describe_every_event(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/asyncapi.json")).json()
    assert {"LoanIssued", "LoanReversed", "MatchOutcomeReversed"} <= set(
        document["components"]["messages"]
    )
    page = await client.get("/asyncapi")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # Rendered here: it reads offline, with nothing fetched from another host.
    assert re.findall(r"(?:https?:)?//[\w.-]+", page.text) == []
    assert "<script" not in page.text
    for event_type in event_types():
        assert f"<code>{event_type}</code>" in page.text
    assert "Why the loan is withdrawn (free text)." in page.text


async def reversed_loan_outcomes(
    app: Any, client: httpx.AsyncClient, *, reversal_first: bool
) -> None:
    """A pairing, its loan and the loan's reversal: neither the pairing's outcomes nor the
    bank's figures show the loan, whichever of loan and reversal arrived first."""
    uscc = new_uscc()
    loan_id = f"L-{secrets.token_hex(4)}"
    before = (await client.get("/institutions/jinshang/figures")).json()
    pairing = await client.post(
        "/matches",
        json={
            "uscc": uscc,
            "institution_id": "jinshang",
            "matched_on": "2020-10-09",
            "channel": "one_on_one",
        },
    )
    assert pairing.status_code == 201, pairing.text
    match_id = pairing.json()["match_id"]
    loan = {
        "uscc": uscc,
        "enterprise_name": "偏关示例农产品合作社",
        "loan_id": loan_id,
        "amount_wan": "40.00",
        "issued_on": "2020-10-20",
        "first_loan_attested": True,
        "guarantee": "credit",
    }
    reversal = {"loan_id": loan_id, "reversed_on": "2020-10-23", "reason": "录入错误"}
    steps: list[tuple[str, dict[str, Any]]] = [("LoanReversed", reversal), ("LoanIssued", loan)]
    for name, data in steps if reversal_first else reversed(steps):
        await deliver_bank(app, "jinshang", name, data)
    shown = (await client.get(f"/matches/{match_id}")).json()
    assert shown["outcomes"] == []
    after = (await client.get("/institutions/jinshang/figures")).json()
    assert (after["loans_issued"], after["loan_amount_wan"]) == (
        before["loans_issued"],
        before["loan_amount_wan"],
    )

    async def announced() -> bool:
        types = [e["type"].removeprefix("cn.firstloan.") for e in await events_about(app, {uscc})]
        expected = ["EnterpriseMatched"]
        if not reversal_first:
            expected += ["MatchOutcomeRecorded", "MatchOutcomeReversed"]
        return types == expected

    await eventually(announced, what="the pairing's events, the reversal announced")


async def test_a_reversed_loan_is_no_outcome_when_the_loan_comes_first(
    app: Any, client: httpx.AsyncClient
) -> None:
    await reversed_loan_outcomes(app, client, reversal_first=False)


async def test_a_reversed_loan_is_no_outcome_when_the_reversal_comes_first(
    app: Any, client: httpx.AsyncClient
) -> None:
    await reversed_loan_outcomes(app, client, reversal_first=True)


async def test_a_pairing_without_a_day_takes_the_platforms_today(namespace: str) -> None:
    """On a clock fixed far from the real date, the default day follows the clock."""
    settings = MatchmakingSettings(
        namespace=namespace,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        clock_date=date(2021, 3, 15),
    )
    application = matchmaking.app.build(settings)
    async with application.running():
        transport = httpx.ASGITransport(app=application.app)
        headers = bearer_headers(settings)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://x", headers=headers
        ) as http:
            made = await http.post(
                "/matches",
                json={"uscc": new_uscc(), "institution_id": "xzrcu", "channel": "online"},
            )
    assert made.status_code == 201, made.text
    assert made.json()["matched_on"] == "2021-03-15"
