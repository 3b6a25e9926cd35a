"""The roster over real PostgreSQL and Kafka: nominations one by one, in batches and as
spreadsheets; the file; delisting; bank and matchmaking events; the whitelist."""

from __future__ import annotations

import io
import json
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from openpyxl import Workbook, load_workbook

import roster.app
from roster.settings import RosterSettings
from roster.spreadsheets import COLUMNS, XLSX, header
from shared.envelope import new_event, to_structured
from shared.service import Runtime
from shared.testing import caught_up, eventually, read_topic
from shared.topics import MATCHMAKING_EVENTS, ROSTER_EVENTS
from shared.validators import USCC_ALPHABET, uscc_check_character

pytestmark = pytest.mark.integration


def uscc(prefix: str = "91") -> str:
    body = prefix + "140902" + "".join(secrets.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


def nomination(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "uscc": uscc(),
        "name": "忻州示例商贸有限公司",
        "county_code": "140902",
        "size_class": "micro",
        "source": "government",
        "nominated_by": "忻府区工信局",
        "nominated_on": "2020-09-05",
        "no_loan_in_5y_attested": True,
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not None}


@pytest.fixture
async def app(namespace: str) -> AsyncIterator[FastAPI]:
    settings = RosterSettings(
        namespace=namespace, consumer_batch_timeout_ms=50, outbox_poll_seconds=0.1
    )
    built = roster.app.build(settings)
    async with runtime_of(built).running():
        yield built


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://roster") as client:
        yield client


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def roster_events(app: FastAPI, key: str) -> list[dict[str, Any]]:
    settings = runtime_of(app).settings
    records = await read_topic(settings.kafka_bootstrap, settings.topic(ROSTER_EVENTS))
    return [json.loads(r.value) for r in records if r.key == key.encode() and r.value]


async def test_listed_then_merged_with_events_on_the_topic(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    first = nomination(source="bank", institution_id="icbc", nominated_by="工商银行忻州分行")
    code = first["uscc"]
    created = await http.post("/nominations", json=first | {"uscc": code.lower()})
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "listed"
    assert created.json()["enterprise"]["institutions"] == ["icbc"]

    again = await http.post("/nominations", json=nomination(uscc=code, nominated_on="2020-09-20"))
    assert again.status_code == 201
    assert again.json()["status"] == "merged"
    assert again.json()["enterprise"]["listed_on"] == "2020-09-05"

    file = (await http.get(f"/enterprises/{code}")).json()
    assert [n["source"] for n in file["nominations"]] == ["bank", "government"]
    assert [a["institution_id"] for a in file["assignments"]] == ["icbc"]
    assert file["profile"]["size_verification"]["status"] == "unverified"

    async def all_events() -> bool:
        types = [e["type"].removeprefix("cn.firstloan.") for e in await roster_events(app, code)]
        return sorted(types) == sorted(
            ["EnterpriseNominated", "EnterpriseListed", "EnterpriseAssigned", "EnterpriseNominated"]
        )

    await eventually(all_events, what="nominated, listed, assigned, nominated on roster.events")


async def test_a_rejection_names_every_reason_and_is_published(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    code = uscc()
    body = nomination(uscc=code, county_code="110108", size_class="medium")
    body |= {"no_loan_in_5y_attested": False}
    refused = await http.post("/nominations", json=body)
    assert refused.status_code == 422
    assert refused.json()["status"] == "rejected"
    assert {r["code"] for r in refused.json()["reasons"]} == {
        "county_not_in_campaign",
        "size_class_not_eligible",
        "not_attested",
    }
    assert all(r["message_zh"] and r["message_en"] for r in refused.json()["reasons"])

    async def published() -> bool:
        events = await roster_events(app, code)
        return [e["type"] for e in events] == ["cn.firstloan.NominationRejected"]

    await eventually(published, what="NominationRejected on roster.events")


@pytest.mark.parametrize(
    "content",
    [b"not json", b"[]", b'"text"', b"null", b"{", b'{"uscc": 5}', b"{}", b"[1, 2]"],
)
async def test_malformed_bodies_get_a_4xx_naming_fields(
    http: httpx.AsyncClient, content: bytes
) -> None:
    answer = await http.post(
        "/nominations", content=content, headers={"content-type": "application/json"}
    )
    assert 400 <= answer.status_code < 500, answer.text
    body = answer.json()
    problems = body.get("detail") or body.get("reasons")
    assert problems, body
    assert all("field" in p for p in problems)


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/nominations/batch", b'{"not": "a list"}'),
        ("/nominations/batch", b"[1]"),
        ("/enterprises/91140902MA0K6Y8L1N/assignments", b'{"institution_id": 7}'),
        ("/enterprises/91140902MA0K6Y8L1N/delist", b'{"reason": "bored", "on": "x"}'),
        ("/enterprises/not-a-code/delist", b'{"reason": "closed", "on": "2020-10-01"}'),
    ],
)
async def test_other_malformed_bodies_get_a_4xx(
    http: httpx.AsyncClient, path: str, content: bytes
) -> None:
    answer = await http.post(path, content=content, headers={"content-type": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text


async def test_delist_and_relist(app: FastAPI, http: httpx.AsyncClient) -> None:
    body = nomination()
    code = body["uscc"]
    assert (await http.post("/nominations", json=body)).status_code == 201
    delisted = await http.post(
        f"/enterprises/{code}/delist", json={"reason": "moved", "on": "2020-10-01"}
    )
    assert delisted.status_code == 200, delisted.text
    twice = await http.post(
        f"/enterprises/{code}/delist", json={"reason": "moved", "on": "2020-10-02"}
    )
    assert twice.status_code == 409
    assert (
        await http.post(f"/enterprises/{code}/assignments", json={"institution_id": "icbc"})
    ).status_code == 409
    relisted = await http.post(
        "/nominations", json=nomination(uscc=code, county_code="140981", nominated_on="2020-10-08")
    )
    assert relisted.json()["status"] == "listed"
    file = (await http.get(f"/enterprises/{code}")).json()
    assert [
        (x["listed_on"], x["delisted_on"], x["delist_reason"]) for x in file["listing_history"]
    ] == [
        ("2020-09-05", "2020-10-01", "moved"),
        ("2020-10-08", None, None),
    ]
    assert file["profile"]["county_code"] == "140981"
    assert len(file["profile_history"]) == 2
    late = await http.get("/counties/140902/list-at-deadline")
    assert late.json()["listed_at_deadline"] >= 1


def spreadsheet(rows: list[dict[str, Any]]) -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.append([header(key, label) for key, label in COLUMNS])
    for row in rows:
        sheet.append([row.get(key) for key, _ in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_xlsx_upload_reports_each_row(http: httpx.AsyncClient) -> None:
    template = await http.get("/nominations/template.xlsx")
    assert template.headers["content-type"] == XLSX
    good = nomination(nominated_on="2020-09-12", no_loan_in_5y_attested="是", size_class="微型")
    bad = nomination(uscc="91140902MA0K6Y8L1A", county_code=140100)
    files = {"file": ("list.xlsx", spreadsheet([good, bad]), XLSX)}
    answer = await http.post("/nominations/upload", files=files)
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert [(r["row"], r["status"]) for r in rows] == [(2, "listed"), (3, "rejected")]
    assert {r["code"] for r in rows[1]["reasons"]} == {"invalid_uscc", "county_not_in_campaign"}
    file = (await http.get(f"/enterprises/{good['uscc']}")).json()
    assert file["listing_history"][0]["late"] is True

    again = await http.post("/nominations/upload", files=files, headers={"accept": XLSX})
    sheet = load_workbook(io.BytesIO(again.content)).worksheets[0]
    results = [row[-2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert results == ["merged", "rejected"]

    not_xlsx = await http.post("/nominations/upload", files={"file": ("x.xlsx", b"nope", XLSX)})
    assert not_xlsx.status_code == 422
    assert not_xlsx.json()["detail"][0]["field"] == "file"


async def test_a_thousand_row_upload_in_one_go(http: httpx.AsyncClient) -> None:
    rows = [nomination(nominated_by=f"部门{i}") for i in range(1000)]
    for i in range(0, 1000, 10):
        rows[i]["size_class"] = "large"
    rows[999] = dict(rows[998])  # a repeat within the sheet merges
    content = spreadsheet(rows)
    started = time.perf_counter()
    answer = await http.post(
        "/nominations/upload", files={"file": ("big.xlsx", content, XLSX)}, timeout=120
    )
    elapsed = time.perf_counter() - started
    print(f"1,000-row upload answered in {elapsed:.2f}s")
    report = answer.json()
    assert (report["total"], report["rejected"], report["merged"]) == (1000, 100, 1)
    assert report["listed"] == 899


async def test_bank_loans_block_nominations_whatever_the_order_and_redelivery(
    app: FastAPI, http: httpx.AsyncClient, kafka_producer: AIOKafkaProducer
) -> None:
    settings = runtime_of(app).settings
    topic = settings.topic("bank.icbc.events")
    code = uscc()
    loan_id = f"L{secrets.token_hex(4)}"
    source = "urn:firstloan:institution:icbc"
    reversal = new_event(
        "LoanReversed",
        source,
        {
            "loan_id": loan_id,
            "institution_id": "icbc",
            "reversed_on": "2020-08-02",
            "reason": "录入错误",
        },
    )
    issued = new_event(
        "LoanIssued",
        source,
        {
            "loan_id": loan_id,
            "institution_id": "icbc",
            "uscc": code,
            "enterprise_name": "忻州示例商贸有限公司",
            "amount_wan": "50.00",
            "issued_on": "2019-03-01",
            "first_loan_attested": False,
            "guarantee": "credit",
        },
        subject=code,
    )
    other = new_event(
        "LoanIssued",
        source,
        issued.data | {"loan_id": loan_id + "b", "issued_on": "2018-06-01"},
        subject=code,
    )
    group = settings.topic("roster.bank")

    async def consumed() -> bool:
        return await caught_up(settings.kafka_bootstrap, group, [topic])

    for event in (reversal, issued, issued, other):  # the reversal first, a duplicate
        value, headers = to_structured(event)
        await kafka_producer.send_and_wait(topic, value, key=code.encode(), headers=headers)
    await eventually(consumed, within=60, what="roster to consume the bank events")

    refused = await http.post("/nominations", json=nomination(uscc=code))
    assert refused.status_code == 422
    reasons = refused.json()["reasons"]
    assert [r["code"] for r in reasons] == ["prior_loan"], "the reversed loan must not count"
    assert (await http.get(f"/enterprises/{code}")).status_code == 404, "never accepted"

    accepted = await http.post(
        "/nominations", json=nomination(uscc=code, nominated_on="2023-06-02")
    )
    assert accepted.status_code == 201, accepted.text
    loans = (await http.get(f"/enterprises/{code}")).json()["loans"]
    assert sorted((x["loan_id"], x["reversed"], x["amount_wan"]) for x in loans) == [
        (loan_id, True, "50.00"),
        (loan_id + "b", False, "50.00"),
    ]


async def test_a_match_assigns_and_fairs_go_into_the_file(
    app: FastAPI, http: httpx.AsyncClient, kafka_producer: AIOKafkaProducer
) -> None:
    settings = runtime_of(app).settings
    body = nomination()
    code = body["uscc"]
    assert (await http.post("/nominations", json=body)).status_code == 201
    topic = settings.topic(MATCHMAKING_EVENTS)
    source = "urn:firstloan:matchmaking"
    fair = f"F{secrets.token_hex(3)}"
    events = [
        new_event(
            "AttendanceRegistered",
            source,
            {"fair_id": fair, "county_code": "140902", "held_on": "2020-09-20", "uscc": code},
        ),
        new_event(
            "EnterpriseMatched",
            source,
            {
                "match_id": f"M{secrets.token_hex(3)}",
                "uscc": code,
                "institution_id": "xzrcu",
                "matched_on": "2020-09-20",
                "channel": "fair",
                "fair_id": fair,
            },
        ),
    ]
    for event in events:
        value, headers = to_structured(event)
        await kafka_producer.send_and_wait(topic, value, key=code.encode(), headers=headers)

    async def in_file() -> bool:
        file = (await http.get(f"/enterprises/{code}")).json()
        return bool(file["fairs_attended"]) and bool(file["assignments"])

    await eventually(in_file, within=60, what="match and attendance in the file")
    file = (await http.get(f"/enterprises/{code}")).json()
    assert [(a["institution_id"], a["way"]) for a in file["assignments"]] == [("xzrcu", "match")]
    listed = await http.get("/whitelist", params={"institution_id": "xzrcu", "as_of": "2020-09-30"})
    assert code in [e["uscc"] for e in listed.json()["entries"]]

    async def assigned_event() -> bool:
        types = [e["type"] for e in await roster_events(app, code)]
        return "cn.firstloan.EnterpriseAssigned" in types

    await eventually(assigned_event, what="EnterpriseAssigned (way=match) on roster.events")


async def test_whitelist_versions_stay_readable(app: FastAPI, http: httpx.AsyncClient) -> None:
    first = (await http.post("/whitelist/publish")).json()
    body = nomination(county_code="140932", nominated_on=datetime.now(UTC).date().isoformat())
    assert (await http.post("/nominations", json=body)).status_code == 201
    second = (await http.post("/whitelist/publish")).json()
    assert second["version"] == first["version"] + 1
    assert second["by_county"].get("140932", 0) == first["by_county"].get("140932", 0) + 1
    old = await http.get(
        "/whitelist", params={"version": first["version"], "county_code": "140932"}
    )
    new = await http.get(
        "/whitelist", params={"version": second["version"], "county_code": "140932"}
    )
    assert body["uscc"] not in [e["uscc"] for e in old.json()["entries"]]
    assert body["uscc"] in [e["uscc"] for e in new.json()["entries"]]
    as_xlsx = await http.get(
        "/whitelist", params={"version": second["version"]}, headers={"accept": XLSX}
    )
    assert as_xlsx.headers["content-type"] == XLSX
    assert (await http.get("/whitelist", params={"version": 99999})).status_code == 404

    async def published() -> bool:
        events = await roster_events(app, "whitelist")
        return any(e["data"]["version"] == second["version"] for e in events)

    await eventually(published, what="WhitelistPublished on roster.events")
