"""The roster over real PostgreSQL and Kafka with three campaigns: Xinzhou's of 2020, a
second city's overlapping it (yunzhou-2020), and Xinzhou's of 2021. Each nomination lands in
its county's campaign, the list is per campaign, the 5-year look-back reads the loans of
every campaign, and an enterprise's file shows its history over them."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

import roster.app
from roster.settings import RosterSettings
from shared.access_testing import bearer_headers
from shared.envelope import new_event, to_structured
from shared.service import Service
from shared.testing import campaigns_dir, caught_up, eventually, read_topic
from shared.topics import ROSTER_EVENTS
from shared.validators import USCC_ALPHABET, uscc_check_character

pytestmark = pytest.mark.integration


def uscc(county: str = "140902") -> str:
    body = "91" + county + "".join(secrets.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


def nomination(**changes: Any) -> dict[str, Any]:
    county = changes.get("county_code", "140902")
    raw: dict[str, Any] = {
        "uscc": uscc(county),
        "name": "示例商贸有限公司",
        "county_code": county,
        "size_class": "micro",
        "source": "government",
        "nominated_by": "工信局",
        "nominated_on": "2020-10-05",
        "no_loan_in_5y_attested": True,
    }
    return raw | changes


@pytest.fixture
async def app(namespace: str, tmp_path: Path) -> AsyncIterator[Service[Any]]:
    settings = RosterSettings(
        namespace=namespace,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        campaigns=campaigns_dir(tmp_path / "c", "yunzhou-2020", "xinzhou-2021"),
    )
    built = roster.app.build(settings)
    async with built.running():
        yield built


@pytest.fixture
async def http(app: Service[Any]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://roster", headers=bearer_headers(app.settings)
    ) as client:
        yield client


async def nominate(http: httpx.AsyncClient, body: dict[str, Any], status: int) -> dict[str, Any]:
    answer = await http.post("/nominations", json=body)
    assert answer.status_code == status, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def test_two_cities_at_once_each_nomination_in_its_countys_campaign(
    http: httpx.AsyncClient,
) -> None:
    yunzhou = await nominate(http, nomination(county_code="149921"), 201)
    xinzhou = await nominate(http, nomination(county_code="140902"), 201)
    assert (yunzhou["campaign_id"], yunzhou["status"]) == ("yunzhou-2020", "listed")
    assert (xinzhou["campaign_id"], xinzhou["status"]) == ("xinzhou-2020", "listed")
    # Each campaign's own list deadline: Yunzhou's is 2020-10-15, Xinzhou's 2020-09-10.
    assert (yunzhou["enterprise"]["late"], xinzhou["enterprise"]["late"]) == (False, True)

    for campaign, listed, other in (
        ("yunzhou-2020", yunzhou, xinzhou),
        ("xinzhou-2020", xinzhou, yunzhou),
    ):
        params = {"campaign": campaign, "as_of": "2020-10-06"}
        entries = (await http.get("/whitelist", params=params)).json()["entries"]
        codes = {e["uscc"] for e in entries}
        assert listed["uscc"] in codes, campaign
        assert other["uscc"] not in codes, campaign

    # No campaign runs on the platform's today: the list must name one.
    unnamed = await http.get("/whitelist")
    assert unnamed.status_code == 409, unnamed.text
    assert set(unnamed.json()["detail"][0]["candidates"]) == {
        "xinzhou-2020",
        "yunzhou-2020",
        "xinzhou-2021",
    }


async def test_a_named_campaign_must_exist_and_hold_the_county(http: httpx.AsyncClient) -> None:
    unknown = await nominate(http, nomination(campaign="nowhere-2020"), 422)
    assert [(r["code"], r["field"]) for r in unknown["reasons"]] == [("invalid_field", "campaign")]
    assert unknown["campaign_id"] is None
    elsewhere = await nominate(http, nomination(campaign="yunzhou-2020"), 422)
    assert [(r["code"], r["field"]) for r in elsewhere["reasons"]] == [
        ("county_not_in_campaign", "county_code")
    ]
    assert elsewhere["campaign_id"] == "yunzhou-2020"
    named = await nominate(
        http, nomination(campaign="xinzhou-2021", nominated_on="2021-08-25"), 201
    )
    assert named["campaign_id"] == "xinzhou-2021"


async def roster_events(app: Service[Any], key: str) -> list[dict[str, Any]]:
    settings = app.settings
    records = await read_topic(settings.kafka_bootstrap, settings.topic(ROSTER_EVENTS))
    return [json.loads(r.value) for r in records if r.key == key.encode() and r.value]


async def test_a_first_loan_in_2020_refuses_the_2021_nomination_and_the_file_shows_both(
    app: Service[Any], http: httpx.AsyncClient, kafka_producer: AIOKafkaProducer
) -> None:
    borrowed, unborrowed = uscc(), uscc()
    for code in (borrowed, unborrowed):
        first = await nominate(http, nomination(uscc=code, nominated_on="2020-09-05"), 201)
        assert first["campaign_id"] == "xinzhou-2020"

    settings = app.settings
    topic = settings.topic("bank.icbc.events")
    issued = new_event(
        "LoanIssued",
        "urn:firstloan:institution:icbc",
        {
            "loan_id": f"L{secrets.token_hex(4)}",
            "institution_id": "icbc",
            "uscc": borrowed,
            "enterprise_name": "示例商贸有限公司",
            "amount_wan": "50.00",
            "issued_on": "2020-10-10",
            "first_loan_attested": True,
            "guarantee": "credit",
        },
        subject=borrowed,
    )
    value, headers = to_structured(issued)
    await kafka_producer.send_and_wait(topic, value, key=borrowed.encode(), headers=headers)
    group = settings.topic("roster.bank")

    async def consumed() -> bool:
        return await caught_up(settings.kafka_bootstrap, group, [topic])

    await eventually(consumed, within=60, what="roster to consume the 2020 loan")

    # Lists are prepared before the campaign starts: 2021-08-25 is xinzhou-2021's.
    refused = await nominate(http, nomination(uscc=borrowed, nominated_on="2021-08-25"), 422)
    assert refused["campaign_id"] == "xinzhou-2021"
    assert [r["code"] for r in refused["reasons"]] == ["prior_loan"]
    listed = await nominate(http, nomination(uscc=unborrowed, nominated_on="2021-09-05"), 201)
    assert (listed["campaign_id"], listed["status"]) == ("xinzhou-2021", "listed")
    assert listed["enterprise"]["listed_on"] == "2021-09-05"

    file = (await http.get(f"/enterprises/{unborrowed}")).json()
    assert [(x["campaign_id"], x["listed_on"]) for x in file["listing_history"]] == [
        ("xinzhou-2020", "2020-09-05"),
        ("xinzhou-2021", "2021-09-05"),
    ]
    assert [n["campaign_id"] for n in file["nominations"]] == ["xinzhou-2020", "xinzhou-2021"]
    assert [
        (c["campaign_id"], [p["listed_on"] for p in c["periods"]]) for c in file["campaigns"]
    ] == [("xinzhou-2020", ["2020-09-05"]), ("xinzhou-2021", ["2021-09-05"])]

    other = (await http.get(f"/enterprises/{borrowed}")).json()
    assert [x["campaign_id"] for x in other["listing_history"]] == ["xinzhou-2020"]
    assert [n["campaign_id"] for n in other["rejected_nominations"]] == ["xinzhou-2021"]
    summary = {c["campaign_id"]: c for c in other["campaigns"]}
    assert summary["xinzhou-2021"]["periods"] == []
    assert summary["xinzhou-2021"]["rejected_nominations"] == 1
    assert [loan["issued_on"] for loan in other["loans"]] == ["2020-10-10"]

    # Assignments and delistings belong to the campaign listing it on their day.
    assigned = await http.post(
        f"/enterprises/{unborrowed}/assignments",
        json={"institution_id": "icbc", "assigned_on": "2021-09-20"},
    )
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["campaign_id"] == "xinzhou-2021"
    earlier = await http.post(
        f"/enterprises/{unborrowed}/assignments",
        json={"institution_id": "icbc", "assigned_on": "2020-10-01"},
    )
    assert (earlier.status_code, earlier.json()["campaign_id"]) == (201, "xinzhou-2020")
    delisted = await http.post(
        f"/enterprises/{unborrowed}/delist",
        json={"reason": "withdrawn", "on": "2020-11-01", "campaign": "xinzhou-2020"},
    )
    assert delisted.status_code == 200, delisted.text
    unknown = await http.post(
        f"/enterprises/{unborrowed}/delist",
        json={"reason": "withdrawn", "on": "2021-10-01", "campaign": "nowhere-2021"},
    )
    assert (unknown.status_code, unknown.json()["detail"][0]["field"]) == (422, "campaign")
    file = (await http.get(f"/enterprises/{unborrowed}")).json()
    assert {(a["campaign_id"], a["institution_id"]) for a in file["assignments"]} == {
        ("xinzhou-2020", "icbc"),
        ("xinzhou-2021", "icbc"),
    }
    summary = {c["campaign_id"]: c for c in file["campaigns"]}
    assert summary["xinzhou-2020"]["periods"][0]["delisted_on"] == "2020-11-01"
    assert summary["xinzhou-2021"]["periods"][0]["delisted_on"] is None

    async def every_event_names_its_campaign() -> bool:
        events = await roster_events(app, unborrowed) + await roster_events(app, borrowed)
        found = {
            (e["type"].removeprefix("cn.firstloan."), e["data"]["campaign_id"]) for e in events
        }
        return {
            ("NominationRejected", "xinzhou-2021"),
            ("EnterpriseListed", "xinzhou-2020"),
            ("EnterpriseListed", "xinzhou-2021"),
            ("EnterpriseAssigned", "xinzhou-2020"),
            ("EnterpriseAssigned", "xinzhou-2021"),
            ("EnterpriseDelisted", "xinzhou-2020"),
        } <= found and all(campaign for _, campaign in found)

    await eventually(every_event_names_its_campaign, what="campaign_id on every roster event")


async def test_whitelists_are_published_and_numbered_per_campaign(
    app: Service[Any], http: httpx.AsyncClient
) -> None:
    unnamed = await http.post("/whitelist/publish")
    assert unnamed.status_code == 409, unnamed.text
    first = await http.post("/whitelist/publish", params={"campaign": "yunzhou-2020"})
    assert first.status_code == 201, first.text
    assert first.json()["campaign_id"] == "yunzhou-2020"
    version = first.json()["version"]
    read = await http.get("/whitelist", params={"campaign": "yunzhou-2020", "version": version})
    assert read.json()["campaign_id"] == "yunzhou-2020"
    deadline = await http.get("/counties/149921/list-at-deadline")
    assert (deadline.status_code, deadline.json()["campaign_id"]) == (200, "yunzhou-2020")

    async def published() -> bool:
        events = await roster_events(app, "whitelist")
        return any(
            e["data"]["campaign_id"] == "yunzhou-2020" and e["data"]["version"] == version
            for e in events
        )

    await eventually(published, what="WhitelistPublished of yunzhou-2020")
