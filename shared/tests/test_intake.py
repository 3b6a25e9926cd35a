"""The bank intake's checks, one record at a time: every rejection reason and the accepted
path, in structured and binary mode."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from shared.campaigns import CampaignBook, CampaignWatcher
from shared.consumer import ConsumedRecord, Message
from shared.contracts import EventData
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.envelope import Envelope, Rejection, new_event, to_binary, to_structured
from shared.intake import (
    accept_bank_events,
    check_bank_record,
    institution_of_topic,
)
from shared.reference import load_reference

REFERENCE = load_reference()
USCC = "91140902MA0GABCD14"
TOPIC = "bank.icbc.events"
SOURCE = "urn:firstloan:institution:icbc"
Encode = Callable[[Envelope], tuple[bytes, list[tuple[str, bytes]]]]
MODES = [pytest.param(to_structured, id="structured"), pytest.param(to_binary, id="binary")]


def granted(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "credit_id": "C-1",
        "institution_id": "icbc",
        "uscc": USCC,
        "enterprise_name": "忻州示例商贸有限公司",
        "amount_wan": "120.50",
        "granted_on": "2020-10-12",
        "applied_on": "2020-09-28",
        "guarantee": "collateral",
    }
    return {**data, **changes}


def record(
    data: dict[str, Any],
    *,
    name: str = "CreditGranted",
    source: str = SOURCE,
    topic: str = TOPIC,
    encode: Encode = to_structured,
    subject: str | None = USCC,
) -> ConsumedRecord:
    value, headers = encode(new_event(name, source, data, subject=subject))
    return ConsumedRecord(topic, 0, 0, USCC.encode(), value, tuple(headers))


def reason(outcome: Message[EventData] | Rejection) -> str:
    assert isinstance(outcome, Rejection), f"accepted: {outcome}"
    return outcome.reason.value


@pytest.mark.parametrize("encode", MODES)
def test_a_valid_event_is_accepted_in_either_mode(encode: Encode) -> None:
    outcome = check_bank_record(record(granted(), encode=encode), REFERENCE)
    assert isinstance(outcome, Message)
    assert isinstance(outcome.payload, CreditGranted)
    assert outcome.payload.amount_wan == Decimal("120.50")
    assert outcome.envelope.dedup_key[0] == SOURCE


@pytest.mark.parametrize(
    ("name", "data", "model"),
    [
        (
            "CreditDeclined",
            {
                "institution_id": "icbc",
                "uscc": USCC,
                "enterprise_name": "n",
                "declined_on": "2020-10-12",
                "problems": ["lack_of_collateral", "irregular_finances"],
            },
            CreditDeclined,
        ),
        (
            "LoanIssued",
            {
                "loan_id": "L-1",
                "institution_id": "icbc",
                "uscc": USCC,
                "enterprise_name": "n",
                "amount_wan": "50",
                "issued_on": "2020-10-15",
                "first_loan_attested": True,
                "guarantee": "credit",
            },
            LoanIssued,
        ),
        (
            "LoanReversed",
            {
                "loan_id": "L-1",
                "institution_id": "icbc",
                "reversed_on": "2020-10-16",
                "reason": "x",
            },
            LoanReversed,
        ),
    ],
)
def test_every_bank_event_type_is_accepted(name: str, data: dict[str, Any], model: type) -> None:
    outcome = check_bank_record(record(data, name=name), REFERENCE)
    assert isinstance(outcome, Message)
    assert isinstance(outcome.payload, model)


def test_unknown_fields_in_data_are_ignored() -> None:
    assert isinstance(check_bank_record(record(granted(branch="城区支行")), REFERENCE), Message)


def raw(value: bytes | None, headers: tuple[tuple[str, bytes], ...] = ()) -> ConsumedRecord:
    return ConsumedRecord(TOPIC, 0, 0, None, value, headers)


STRUCTURED = (("content-type", b"application/cloudevents+json"),)


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (raw(b"{not json", STRUCTURED), "invalid_json"),
        (raw(None, STRUCTURED), "invalid_json"),
        (raw(b"\xff\xfe", STRUCTURED), "invalid_json"),
        (raw(b"{oops", (("ce_specversion", b"1.0"), ("ce_id", b"1"))), "invalid_json"),
        (raw(b'["a list"]', STRUCTURED), "not_cloudevent"),
        (raw(json.dumps({"credit_id": "C-1"}).encode()), "not_cloudevent"),
        (
            raw(json.dumps({"specversion": "1.0", "id": "1", "source": SOURCE}).encode()),
            "not_cloudevent",
        ),
        (raw(b"{}", (("ce_specversion", b"1.0"), ("ce_id", b"\xff"))), "not_cloudevent"),
    ],
)
def test_malformed_records_are_rejected(bad: ConsumedRecord, expected: str) -> None:
    assert reason(check_bank_record(bad, REFERENCE)) == expected


def test_a_time_without_zone_is_not_a_cloudevent() -> None:
    document = json.loads(record(granted()).value or b"")
    document["time"] = "2020-10-12T09:00:00"
    bad = raw(json.dumps(document).encode(), STRUCTURED)
    assert reason(check_bank_record(bad, REFERENCE)) == "not_cloudevent"


@pytest.mark.parametrize("encode", MODES)
def test_an_unknown_type_is_rejected(encode: Encode) -> None:
    outcome = check_bank_record(record(granted(), name="CreditMaybe", encode=encode), REFERENCE)
    assert reason(outcome) == "unknown_type"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"uscc": "91140902MA0GABCD15"}, id="bad-uscc-check-character"),
        pytest.param({"uscc": "911409"}, id="short-uscc"),
        pytest.param({"amount_wan": "-5.00"}, id="negative-amount"),
        pytest.param({"amount_wan": "0"}, id="zero-amount"),
        pytest.param({"amount_wan": 120.5}, id="amount-as-json-number"),
        pytest.param({"amount_wan": "120.505"}, id="three-decimals"),
        pytest.param({"granted_on": "2020-13-01"}, id="impossible-date"),
        pytest.param({"granted_on": "12/10/2020"}, id="not-iso-date"),
        pytest.param({"granted_on": 1602460800}, id="timestamp-date"),
        pytest.param({"granted_on": "2020-10-12T00:00:00"}, id="datetime-for-date"),
        pytest.param({"guarantee": "promise"}, id="unknown-guarantee"),
        pytest.param({"credit_id": None}, id="missing-credit-id"),
    ],
)
@pytest.mark.parametrize("encode", MODES)
def test_invalid_data_is_rejected(changes: dict[str, Any], encode: Encode) -> None:
    outcome = check_bank_record(record(granted(**changes), encode=encode), REFERENCE)
    assert reason(outcome) == "invalid_data"


def test_an_unknown_problem_code_is_invalid_data() -> None:
    data = {
        "institution_id": "icbc",
        "uscc": USCC,
        "enterprise_name": "n",
        "declined_on": "2020-10-12",
        "problems": ["lack_of_collateral", "bad_luck"],
    }
    outcome = check_bank_record(record(data, name="CreditDeclined"), REFERENCE)
    assert reason(outcome) == "invalid_data"
    assert isinstance(outcome, Rejection)
    assert "problems.1" in outcome.detail


def test_an_attestation_must_be_a_json_boolean() -> None:
    data = {
        "loan_id": "L-1",
        "institution_id": "icbc",
        "uscc": USCC,
        "enterprise_name": "n",
        "amount_wan": "50",
        "issued_on": "2020-10-15",
        "first_loan_attested": "yes",
        "guarantee": "credit",
    }
    assert reason(check_bank_record(record(data, name="LoanIssued"), REFERENCE)) == "invalid_data"


def test_a_subject_other_than_the_uscc_is_invalid_data() -> None:
    outcome = check_bank_record(record(granted(), subject="91110108551385082Q"), REFERENCE)
    assert reason(outcome) == "invalid_data"


@pytest.mark.parametrize("encode", MODES)
def test_a_foreign_source_is_spoofed(encode: Encode) -> None:
    outcome = check_bank_record(
        record(granted(), source="urn:firstloan:institution:abc", encode=encode), REFERENCE
    )
    assert reason(outcome) == "spoofed_origin"


@pytest.mark.parametrize("encode", MODES)
def test_a_foreign_institution_id_is_spoofed(encode: Encode) -> None:
    outcome = check_bank_record(record(granted(institution_id="abc"), encode=encode), REFERENCE)
    assert reason(outcome) == "spoofed_origin"


def test_a_topic_of_no_known_institution_is_rejected() -> None:
    outcome = check_bank_record(
        record(
            granted(institution_id="ghost"),
            source="urn:firstloan:institution:ghost",
            topic="t1.bank.ghost.events",
        ),
        REFERENCE,
    )
    assert reason(outcome) == "unknown_institution"


def test_institution_of_topic_reads_namespaced_names() -> None:
    assert institution_of_topic("bank.icbc.events") == "icbc"
    assert institution_of_topic("t1a2.bank.village-1.events") == "village-1"
    assert institution_of_topic("roster.events") is None


def counted(consumer: str, institution: str, outcome: str) -> float:
    labels = {"consumer": consumer, "institution": institution, "outcome": outcome}
    return REGISTRY.get_sample_value("firstloan_bank_events_total", labels) or 0.0


def test_each_outcome_is_counted_per_institution_and_reason() -> None:
    accept = accept_bank_events("unit.bank", lambda: REFERENCE)
    accept(record(granted()))
    accept(record(granted(amount_wan=1)))
    accept(record(granted(institution_id="abc")))
    assert counted("unit.bank", "icbc", "accepted") == 1
    assert counted("unit.bank", "icbc", "invalid_data") == 1
    assert counted("unit.bank", "icbc", "spoofed_origin") == 1


def test_the_watcher_rereads_a_changed_file(tmp_path: Path) -> None:
    original = Path(__file__).parents[1] / "reference_data" / "xinzhou-2020.toml"
    file = tmp_path / "xinzhou-2020.toml"
    file.write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
    now = [0.0]
    watcher = CampaignWatcher(tmp_path, every=5, clock=lambda: now[0])
    assert "village-1" not in watcher().institution_ids
    file.write_text(file.read_text(encoding="utf-8") + VILLAGE_BANK, encoding="utf-8")
    _touch_later(file)
    assert "village-1" not in watcher().institution_ids, "checked again too early"
    now[0] = 6
    assert "village-1" in watcher().institution_ids
    file.write_text("not toml [", encoding="utf-8")
    _touch_later(file)
    now[0] = 12
    book: CampaignBook = watcher()
    assert "village-1" in book.institution_ids, "a broken file keeps the last good data"


VILLAGE_BANK = (
    '\n[[institutions]]\nid = "village-1"\nname = "示例村镇银行"\ncategory = "village_bank"\n'
)


def _touch_later(file: Path) -> None:

    stat = file.stat()
    os.utime(file, (stat.st_atime, stat.st_mtime + 10))
