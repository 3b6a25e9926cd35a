"""The bank intake under arbitrary input: whatever arrives, the answer is an accepted event
or a rejection that names a reason and says what is wrong; nothing raises."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.consumer import ConsumedRecord, Message
from shared.envelope import Rejection
from shared.intake import check_bank_record
from shared.reference import load_reference

REFERENCE = load_reference()
TOPICS = st.sampled_from(["bank.icbc.events", "bank.nobody.events", "elsewhere", ""])
HEADER_NAMES = st.sampled_from(
    ["content-type", "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject"]
)
HEADERS = st.lists(st.tuples(HEADER_NAMES | st.text(max_size=12), st.binary(max_size=40)))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)
DATA_KEYS = st.sampled_from(
    [
        "loan_id",
        "institution_id",
        "uscc",
        "enterprise_name",
        "amount_wan",
        "issued_on",
        "first_loan_attested",
        "guarantee",
        "reversed_on",
        "reason",
        "credit_id",
        "granted_on",
    ]
)
TYPES = st.sampled_from(
    [
        "cn.firstloan.LoanIssued",
        "cn.firstloan.LoanReversed",
        "cn.firstloan.CreditGranted",
        "cn.firstloan.CreditDeclined",
        "cn.firstloan.Other",
    ]
)


@st.composite
def near_cloudevents(draw: st.DrawFn) -> bytes:
    """Structured-mode events that are almost right: the shapes that reach deepest."""
    event: dict[str, Any] = {
        "specversion": draw(st.sampled_from(["1.0", "0.3", 1])),
        "id": draw(st.text(max_size=8)),
        "source": draw(st.sampled_from(["urn:firstloan:institution:icbc", "x", ""])),
        "type": draw(TYPES),
        "time": draw(st.sampled_from(["2020-10-12T09:30:00+08:00", "2020-10-12", "", 5])),
        "data": draw(st.dictionaries(DATA_KEYS, JSON_VALUES, max_size=8)),
    }
    if draw(st.booleans()):
        event.pop(draw(st.sampled_from(sorted(event))))
    return json.dumps(event, allow_nan=True).encode()


def judged(outcome: object) -> None:
    assert isinstance(outcome, Message | Rejection)
    if isinstance(outcome, Rejection):
        assert outcome.reason.value
        assert outcome.detail.strip()


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(topic=TOPICS, value=st.none() | st.binary(max_size=200), headers=HEADERS)
def test_any_bytes_get_an_answer(topic: str, value: bytes | None, headers: Any) -> None:
    judged(check_bank_record(ConsumedRecord(topic, 0, 0, None, value, tuple(headers)), REFERENCE))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(value=near_cloudevents())
def test_almost_valid_events_get_an_answer(value: bytes) -> None:
    headers = (("content-type", b"application/cloudevents+json"),)
    record = ConsumedRecord("bank.icbc.events", 0, 0, None, value, headers)
    judged(check_bank_record(record, REFERENCE))
