"""The roster over real PostgreSQL and Kafka: nominations one by one, in batches and as
spreadsheets; the file; delisting; bank and matchmaking events; the whitelist."""

from __future__ import annotations

import io
import json
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from openpyxl import load_workbook

import roster.app
from roster.api import MAX_BATCH
from roster.settings import RosterSettings
from roster.spreadsheets import XLSX
from shared.access_testing import bearer_headers
from shared.envelope import Envelope, new_event, to_structured
from shared.service import Service
from shared.testing import caught_up, eventually, read_topic
from shared.topics import MATCHMAKING_EVENTS, ROSTER_EVENTS
from shared.validators import USCC_ALPHABET, uscc_check_character

from .sheets import spreadsheet

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
async def app(namespace: str) -> AsyncIterator[Service[Any]]:
    settings = RosterSettings(
        namespace=namespace, consumer_batch_timeout_ms=50, outbox_poll_seconds=0.1
    )
    built = roster.app.build(settings)
    async with built.running():
        yield built


@pytest.fixture
async def http(app: Service[Any]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app.app)
    headers = bearer_headers(app.settings)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://roster", headers=headers
    ) as client:
        yield client


async def roster_events(app: Service[Any], key: str) -> list[dict[str, Any]]:
    settings = app.settings
    records = await read_topic(settings.kafka_bootstrap, settings.topic(ROSTER_EVENTS))
    return [json.loads(r.value) for r in records if r.key == key.encode() and r.value]


async def test_listed_then_merged_with_events_on_the_topic(
    app: Service[Any], http: httpx.AsyncClient
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
    app: Service[Any], http: httpx.AsyncClient
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


async def test_delist_and_relist(app: Service[Any], http: httpx.AsyncClient) -> None:
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


async def test_a_batch_of_the_largest_size_is_listed_whole(http: httpx.AsyncClient) -> None:
    # Each profile has ten columns: one VALUES list for 5,000 of them would pass
    # PostgreSQL's limit of 32,767 parameters per statement.
    rows = [nomination() for _ in range(MAX_BATCH)]
    answer = await http.post("/nominations/batch", json=rows, timeout=120)
    assert answer.status_code == 200, answer.text[:500]
    assert (answer.json()["total"], answer.json()["listed"]) == (MAX_BATCH, MAX_BATCH)
    file = (await http.get(f"/enterprises/{rows[-1]['uscc']}")).json()
    assert file["profile"]["name"] == rows[-1]["name"]


async def test_bank_loans_block_nominations_whatever_the_order_and_redelivery(
    app: Service[Any], http: httpx.AsyncClient, kafka_producer: AIOKafkaProducer
) -> None:
    settings = app.settings
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
    app: Service[Any], http: httpx.AsyncClient, kafka_producer: AIOKafkaProducer
) -> None:
    settings = app.settings
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


async def test_whitelist_versions_stay_readable(app: Service[Any], http: httpx.AsyncClient) -> None:
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


@pytest.fixture
async def http_on_a_fixed_day(namespace: str) -> AsyncIterator[httpx.AsyncClient]:
    """A roster whose platform clock says 2021-03-15, far from the machine's date."""
    settings = RosterSettings(
        namespace=namespace,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        clock_date=date(2021, 3, 15),
    )
    built = roster.app.build(settings)
    async with built.running():
        transport = httpx.ASGITransport(app=built.app)
        headers = bearer_headers(settings)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://roster", headers=headers
        ) as client:
            yield client


async def test_today_is_the_platform_clocks_day(http_on_a_fixed_day: httpx.AsyncClient) -> None:
    http = http_on_a_fixed_day
    county = "140932"
    on_list, delisted, delisted_later = (
        nomination(county_code=county, nominated_on="2021-03-01") for _ in range(3)
    )
    for body in (on_list, delisted, delisted_later):
        assert (await http.post("/nominations", json=body)).status_code == 201
    for body, on in ((delisted, "2021-03-10"), (delisted_later, "2021-03-20")):
        answer = await http.post(
            f"/enterprises/{body['uscc']}/delist", json={"reason": "closed", "on": on}
        )
        assert answer.status_code == 200, answer.text

    listed = (await http.get("/whitelist", params={"county_code": county})).json()
    assert listed["as_of"] == "2021-03-15"
    codes = {e["uscc"] for e in listed["entries"]}
    assert on_list["uscc"] in codes
    assert delisted["uscc"] not in codes
    assert delisted_later["uscc"] in codes, "delisted from 03-20: still listed on 03-15"
    for body, expected in ((on_list, True), (delisted, False), (delisted_later, True)):
        file = (await http.get(f"/enterprises/{body['uscc']}")).json()
        assert file["listed"] is expected, body["uscc"]

    published = (await http.post("/whitelist/publish")).json()
    assert published["as_of"] == "2021-03-15"
    version = await http.get("/whitelist", params={"version": published["version"]})
    published_at = datetime.fromisoformat(version.json()["published_at"])
    assert published_at.astimezone(ZoneInfo("Asia/Shanghai")).date() == date(2021, 3, 15)
    deadline = (await http.get(f"/counties/{county}/list-at-deadline")).json()
    assert deadline["today"] == "2021-03-15"


def matched(code: str, institution_id: str, on: str) -> Envelope:
    return new_event(
        "EnterpriseMatched",
        "urn:firstloan:matchmaking",
        {
            "match_id": f"M{secrets.token_hex(4)}",
            "uscc": code,
            "institution_id": institution_id,
            "matched_on": on,
            "channel": "one_on_one",
        },
        subject=code,
    )


async def test_assignments_keep_the_earliest_day_in_either_order(
    app: Service[Any], http: httpx.AsyncClient, kafka_producer: AIOKafkaProducer
) -> None:
    """A bank's nomination (xzrcu, 09-15), a request (icbc, 09-25), two pairings (icbc
    09-12, xzrcu 09-08): one enterprise hears them in one order, the other the reverse, the
    pairings even before it is on file."""
    topic = app.settings.topic(MATCHMAKING_EVENTS)
    bank = {"source": "bank", "institution_id": "xzrcu", "nominated_by": "忻州农商银行"}

    async def send(event: Envelope) -> None:
        value, headers = to_structured(event)
        assert event.subject is not None
        await kafka_producer.send_and_wait(
            topic, value, key=event.subject.encode(), headers=headers
        )

    async def pairings_in_file(code: str) -> None:
        async def both() -> bool:
            answer = await http.get(f"/enterprises/{code}")
            return answer.status_code == 200 and len(answer.json()["matches"]) == 2

        await eventually(both, within=60, what=f"both pairings of {code} in its file")

    async def request(code: str) -> int:
        answer = await http.post(
            f"/enterprises/{code}/assignments",
            json={"institution_id": "icbc", "assigned_on": "2020-09-25"},
        )
        return answer.status_code

    forward = uscc()
    assert (
        await http.post(
            "/nominations", json=nomination(uscc=forward, nominated_on="2020-09-15", **bank)
        )
    ).status_code == 201
    assert await request(forward) == 201
    await send(matched(forward, "icbc", "2020-09-12"))
    await send(matched(forward, "xzrcu", "2020-09-08"))
    await pairings_in_file(forward)

    backward = uscc()
    await send(matched(backward, "xzrcu", "2020-09-08"))
    await send(matched(backward, "icbc", "2020-09-12"))
    group = app.settings.topic("roster.matchmaking")

    async def consumed() -> bool:
        return await caught_up(app.settings.kafka_bootstrap, group, [topic])

    await eventually(consumed, within=60, what="roster to consume the pairings")
    assert (
        await http.post(
            "/nominations", json=nomination(uscc=backward, nominated_on="2020-09-15", **bank)
        )
    ).status_code == 201
    assert await request(backward) == 200, "already assigned by the pairing"

    expected = [("icbc", "2020-09-12", "match"), ("xzrcu", "2020-09-08", "match")]
    for code in (forward, backward):
        file = (await http.get(f"/enterprises/{code}")).json()
        assert [
            (a["institution_id"], a["assigned_on"], a["way"]) for a in file["assignments"]
        ] == sorted(expected, key=lambda a: a[1]), code

    async def announced(code: str) -> dict[str, str]:
        """The day consumers keep for each institution: the earliest they heard of."""
        days: dict[str, str] = {}
        for event in await roster_events(app, code):
            if event["type"] == "cn.firstloan.EnterpriseAssigned":
                data = event["data"]
                known = days.get(data["institution_id"], data["assigned_on"])
                days[data["institution_id"]] = min(known, data["assigned_on"])
        return days

    async def both_announced() -> bool:
        wanted = {"icbc": "2020-09-12", "xzrcu": "2020-09-08"}
        return await announced(forward) == wanted and await announced(backward) == wanted

    await eventually(both_announced, what="the earliest assignment days on roster.events")


async def test_copies_of_a_loan_and_of_its_reversal_keep_the_same_one_in_either_order(
    app: Service[Any], http: httpx.AsyncClient, kafka_producer: AIOKafkaProducer
) -> None:
    settings = app.settings
    topic = settings.topic("bank.icbc.events")
    source = "urn:firstloan:institution:icbc"
    code = uscc()

    def issued(loan_id: str, on: str, amount: str) -> Envelope:
        data = {
            "loan_id": loan_id,
            "institution_id": "icbc",
            "uscc": code,
            "enterprise_name": "忻州示例商贸有限公司",
            "amount_wan": amount,
            "issued_on": on,
            "first_loan_attested": False,
            "guarantee": "credit",
        }
        return new_event("LoanIssued", source, data, subject=code)

    def reversed_(loan_id: str, on: str) -> Envelope:
        data = {
            "loan_id": loan_id,
            "institution_id": "icbc",
            "reversed_on": on,
            "reason": "录入错误",
        }
        return new_event("LoanReversed", source, data)

    first, second = f"L{secrets.token_hex(4)}", f"L{secrets.token_hex(4)}"
    events = [
        issued(first, "2019-03-01", "50.00"),
        issued(first, "2019-02-01", "80.00"),
        reversed_(first, "2020-08-02"),
        reversed_(first, "2020-07-01"),
        reversed_(second, "2020-07-01"),
        reversed_(second, "2020-08-02"),
        issued(second, "2019-02-01", "80.00"),
        issued(second, "2019-03-01", "50.00"),
    ]
    group = settings.topic("roster.bank")
    for event in events:
        value, headers = to_structured(event)
        await kafka_producer.send_and_wait(topic, value, key=code.encode(), headers=headers)

    async def consumed() -> bool:
        return await caught_up(settings.kafka_bootstrap, group, [topic])

    await eventually(consumed, within=60, what="roster to consume the bank events")
    assert (await http.post("/nominations", json=nomination(uscc=code))).status_code == 201
    loans = (await http.get(f"/enterprises/{code}")).json()["loans"]
    kept = {
        loan["loan_id"]: (loan["issued_on"], loan["amount_wan"], loan["reversed_on"])
        for loan in loans
    }
    assert kept == {
        first: ("2019-02-01", "80.00", "2020-07-01"),
        second: ("2019-02-01", "80.00", "2020-07-01"),
    }
