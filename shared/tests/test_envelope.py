"""The envelope parser: both Kafka modes, interop with the CloudEvents SDK, every rejection."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cloudevents.core.bindings import kafka as sdk_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from shared.envelope import (
    DeadLetterReason,
    Envelope,
    Rejection,
    new_event,
    parse_record,
    to_binary,
    to_structured,
)

TIME = "2020-09-15T10:30:00+08:00"
EVENT: dict[str, Any] = {
    "specversion": "1.0",
    "id": "loan-1",
    "source": "urn:firstloan:institution:icbc",
    "type": "cn.firstloan.LoanIssued",
    "time": TIME,
    "subject": "91110108551385082Q",
    "data": {"loan_id": "L1", "amount_wan": "12.50"},
}
BINARY_HEADERS = [
    ("ce_specversion", b"1.0"),
    ("ce_id", b"loan-1"),
    ("ce_source", b"urn:firstloan:institution:icbc"),
    ("ce_type", b"cn.firstloan.LoanIssued"),
    ("ce_time", TIME.encode()),
    ("content-type", b"application/json"),
]


def structured(document: Any) -> Envelope | Rejection:
    value = json.dumps(document).encode()
    return parse_record(value, [("content-type", b"application/cloudevents+json")])


def test_structured_mode_is_parsed() -> None:
    event = structured(EVENT)
    assert isinstance(event, Envelope)
    assert event.dedup_key == ("urn:firstloan:institution:icbc", "loan-1")
    assert event.name == "LoanIssued"
    assert event.data["amount_wan"] == "12.50"
    assert event.time == datetime(2020, 9, 15, 2, 30, tzinfo=UTC)


def test_binary_mode_is_parsed() -> None:
    event = parse_record(b'{"loan_id": "L1"}', BINARY_HEADERS)
    assert isinstance(event, Envelope)
    assert (event.id, event.type, event.data) == (
        "loan-1",
        "cn.firstloan.LoanIssued",
        {"loan_id": "L1"},
    )


@pytest.mark.parametrize("encode", [to_structured, to_binary])
def test_own_encodings_round_trip(encode: Any) -> None:
    original = new_event(
        "EnterpriseListed", "urn:firstloan:roster", {"uscc": "X", "n": 1}, subject="X"
    )
    value, headers = encode(original)
    assert parse_record(value, headers) == original


@pytest.mark.parametrize("mode", ["structured", "binary"])
def test_sdk_messages_are_understood(mode: str) -> None:
    sdk_event = CloudEvent(
        attributes={
            "type": "cn.firstloan.CreditGranted",
            "source": "urn:x",
            "id": "c-9",
            "time": datetime(2020, 10, 9, tzinfo=UTC),
        },
        data={"credit_id": "c-9"},
    )
    encode = sdk_kafka.to_structured if mode == "structured" else sdk_kafka.to_binary
    message = encode(sdk_event, JSONFormat())
    parsed = parse_record(message.value, list(message.headers.items()))
    assert isinstance(parsed, Envelope)
    assert (parsed.id, parsed.data) == ("c-9", {"credit_id": "c-9"})


@pytest.mark.parametrize("encode", [to_structured, to_binary])
def test_sdk_understands_our_messages(encode: Any) -> None:
    value, headers = encode(new_event("FairScheduled", "urn:firstloan:matchmaking", {"a": 1}))
    message = sdk_kafka.KafkaMessage(headers=dict(headers), key=None, value=value)
    event = sdk_kafka.from_kafka(message, JSONFormat(), CloudEvent)
    assert event.get_type() == "cn.firstloan.FairScheduled"
    assert event.get_data() == {"a": 1}


def reason(outcome: Envelope | Rejection) -> DeadLetterReason:
    assert isinstance(outcome, Rejection), outcome
    return outcome.reason


@pytest.mark.parametrize(
    ("value", "headers", "expected"),
    [
        (b"{not json", [], DeadLetterReason.INVALID_JSON),
        (b"\xff\xfe", [], DeadLetterReason.INVALID_JSON),
        (None, [], DeadLetterReason.INVALID_JSON),
        (b"[1, 2]", [], DeadLetterReason.NOT_CLOUDEVENT),
        (b'{"id": "1"}', [], DeadLetterReason.NOT_CLOUDEVENT),
        (b"{bad", BINARY_HEADERS, DeadLetterReason.INVALID_JSON),
        (b"[1]", BINARY_HEADERS, DeadLetterReason.INVALID_DATA),
        (b"{}", [("ce_id", b"1"), ("ce_type", b"t")], DeadLetterReason.NOT_CLOUDEVENT),
        (b"{}", [*BINARY_HEADERS[:2], ("ce_x", b"\xff")], DeadLetterReason.NOT_CLOUDEVENT),
    ],
)
def test_malformed_records_are_rejected(
    value: bytes | None, headers: list[tuple[str, bytes]], expected: DeadLetterReason
) -> None:
    assert reason(parse_record(value, headers)) == expected


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"specversion": "0.3"}, "specversion"),
        ({"time": None}, "time"),
        ({"time": "yesterday"}, "time"),
        ({"time": "2020-09-15T10:30:00"}, "time"),
        ({"id": ""}, "id"),
        ({"source": None}, "source"),
        ({"type": 7}, "type"),
    ],
)
def test_bad_attributes_are_named(change: dict[str, Any], field: str) -> None:
    document = {k: v for k, v in {**EVENT, **change}.items() if v is not None}
    outcome = structured(document)
    assert reason(outcome) == DeadLetterReason.NOT_CLOUDEVENT
    assert isinstance(outcome, Rejection)
    assert outcome.detail.startswith(field)


def test_binary_mode_without_time_is_rejected_not_stamped_with_now() -> None:
    headers = [h for h in BINARY_HEADERS if h[0] != "ce_time"]
    outcome = parse_record(b"{}", headers)
    assert reason(outcome) == DeadLetterReason.NOT_CLOUDEVENT
    assert isinstance(outcome, Rejection)
    assert "time" in outcome.detail
