"""Bank event intake: how every service reads `bank.<institution_id>.events`.

Bank core systems are the platform's most important producers and are written by other
teams: everything is checked, and whatever fails goes to the dead-letter topic with the
reason. A record is accepted only if

- it is a CloudEvent (structured or binary mode) of a known bank event type,
- the topic names an institution of a campaign,
- its `source` is that institution's (`urn:firstloan:institution:<id>`), and its
  `data.institution_id` is that institution too (anything else is a spoof),
- its `data` passes the contract's model (USCC check, amounts, dates, codes), and its
  `subject`, when given, is the event's USCC.

`check_bank_record` is the one definition of these checks: the consumers use it through
`accept_bank_events`, and `firstloan bank publish` runs it on a file before sending anything.
`BANK_ASYNCAPI_DESCRIPTION` tells integrators the same in the platform's AsyncAPI document
(shared/asyncapi.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from pydantic import ValidationError

from shared.consumer import Accept, ConsumedRecord, Message
from shared.contracts import EventData
from shared.contracts.bank import BANK_EVENTS, BANK_SOURCE_PREFIX, BankEventData
from shared.envelope import TYPE_PREFIX, DeadLetterReason, Rejection, describe_errors, parse_record
from shared.metrics import BANK_EVENTS as BANK_EVENT_COUNTER
from shared.validators import normalize_uscc

_BANK_TOPIC = re.compile(r"(?:^|\.)bank\.(?P<institution>[^.]+)\.events$")
_BY_TYPE = {TYPE_PREFIX + model.event_name(): model for model in BANK_EVENTS}


class KnowsInstitutions(Protocol):
    """The campaign book, or one campaign's reference data."""

    @property
    def institution_ids(self) -> frozenset[str]: ...


def institution_of_topic(topic: str) -> str | None:
    match = _BANK_TOPIC.search(topic)
    return match.group("institution") if match else None


def accept_bank_events(consumer: str, reference: Callable[[], KnowsInstitutions]) -> Accept:
    """The `Accept` of every bank-topic subscription; counts each outcome as a metric."""

    def accept(record: ConsumedRecord) -> Message[EventData] | Rejection:
        institution = institution_of_topic(record.topic) or "?"
        outcome = check_bank_record(record, reference())
        label = "accepted" if isinstance(outcome, Message) else outcome.reason.value
        BANK_EVENT_COUNTER.labels(consumer, institution, label).inc()
        return outcome

    return accept


def check_bank_record(
    record: ConsumedRecord, reference: KnowsInstitutions
) -> Message[EventData] | Rejection:
    """The accepted event of a bank-topic record, or why it is rejected."""
    institution = institution_of_topic(record.topic) or "?"
    envelope = parse_record(record.value, record.headers)
    if isinstance(envelope, Rejection):
        return envelope
    if institution not in reference.institution_ids:
        return _reject(
            DeadLetterReason.UNKNOWN_INSTITUTION,
            f"topic {record.topic!r} names no institution of any campaign",
        )
    model = _BY_TYPE.get(envelope.type)
    if model is None:
        known = ", ".join(sorted(_BY_TYPE))
        return _reject(DeadLetterReason.UNKNOWN_TYPE, f"type {envelope.type!r}; known: {known}")
    expected_source = BANK_SOURCE_PREFIX + institution
    if envelope.source != expected_source:
        return _reject(
            DeadLetterReason.SPOOFED_ORIGIN,
            f"source {envelope.source!r} on {record.topic!r}; expected {expected_source!r}",
        )
    try:
        payload: BankEventData = model.model_validate(envelope.data)
    except ValidationError as error:
        return _reject(DeadLetterReason.INVALID_DATA, describe_errors(error))
    if payload.institution_id != institution:
        return _reject(
            DeadLetterReason.SPOOFED_ORIGIN,
            f"data.institution_id {payload.institution_id!r} on {record.topic!r}",
        )
    uscc = getattr(payload, "uscc", None)
    if (
        envelope.subject is not None
        and uscc is not None
        and normalize_uscc(envelope.subject) != uscc
    ):
        return _reject(
            DeadLetterReason.INVALID_DATA, f"subject {envelope.subject!r} is not data.uscc {uscc!r}"
        )
    return Message(envelope, payload)


def _reject(reason: DeadLetterReason, detail: str) -> Rejection:
    return Rejection(reason=reason, detail=detail)


BANK_ASYNCAPI_DESCRIPTION = """\
What bank core systems publish to the Firstloan platform (contract §3).

Each institution publishes on its own topic `bank.<institution_id>.events`, message key = the
enterprise's USCC (UTF-8). Every message is a CloudEvents 1.0 event in the Kafka protocol
binding, in either mode:

- structured: value = the whole event as JSON, header `content-type:
  application/cloudevents+json`;
- binary: headers `ce_specversion`, `ce_id`, `ce_source`, `ce_type`, `ce_time` (and
  `ce_subject`), `content-type: application/json`, value = the JSON `data`.

Required attributes: `specversion` "1.0", `id`, `source`
`urn:firstloan:institution:<institution_id>`, `type` `cn.firstloan.<Name>`, `time` (RFC 3339).
`subject`, if given, is the USCC. The pair (`source`, `id`) is unique: a repeated pair has no
effect. The payloads below are the `data` of each type. Amounts are decimal strings in 万元,
dates `YYYY-MM-DD`.

A message that fails any check goes to the dead-letter topic with a `dlq_reason` header:
invalid_json, not_cloudevent, unknown_type, invalid_data, spoofed_origin (topic institution
differs from `source` or `data.institution_id`), unknown_institution.
"""
