"""The one event envelope: CloudEvents 1.0 in the Kafka protocol binding.

Producers may send structured mode (the value is the whole JSON event, header
`content-type: application/cloudevents+json`) or binary mode (`ce_*` headers, the value is
the JSON `data`). `parse_record` accepts both and returns either an `Envelope` or a
`Rejection` that says precisely what is wrong; it never raises on bad input.

The `cloudevents` SDK's Kafka binding fills a missing `time` with the current time and turns
undecodable binary-mode data into a string; both would let a malformed bank event count as a
valid one, so parsing is done here and the SDK serves as the interoperability reference in
the tests.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
JSON_CONTENT_TYPE = "application/json"
CE_PREFIX = "ce_"
TYPE_PREFIX = "cn.firstloan."

Headers = Sequence[tuple[str, bytes]]


class Envelope(BaseModel):
    """A CloudEvent whose required attributes (time included) are present and well formed."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, description="Unique together with `source`.")
    source: str = Field(min_length=1, description="URI-reference of the producer.")
    type: str = Field(min_length=1, description="`cn.firstloan.<Name>`.")
    time: AwareDatetime = Field(description="RFC 3339 time of the occurrence.")
    subject: str | None = Field(default=None, description="The enterprise's USCC, if any.")
    datacontenttype: str | None = JSON_CONTENT_TYPE
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def dedup_key(self) -> tuple[str, str]:
        return (self.source, self.id)

    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of what the event says (type, subject, data), not of how it was sent:
        the same event in structured and binary mode, or sent again later with another
        `time`, has one fingerprint. Computed once: a consumer compares it several times."""
        content = {"type": self.type, "subject": self.subject, "data": self.data}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def name(self) -> str:
        """The event's short name: `cn.firstloan.LoanIssued` -> `LoanIssued`."""
        return self.type.removeprefix(TYPE_PREFIX)


class DeadLetterReason(StrEnum):
    """Why a record was dead-lettered (`platform.deadletter`'s `reason`)."""

    INVALID_JSON = "invalid_json"
    NOT_CLOUDEVENT = "not_cloudevent"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_DATA = "invalid_data"
    SPOOFED_ORIGIN = "spoofed_origin"
    UNKNOWN_INSTITUTION = "unknown_institution"
    PROCESSING_FAILED = "processing_failed"
    # The record reuses the (source, id) of an event already recorded, with other content.
    CONFLICTING_DUPLICATE = "conflicting_duplicate"
    # Records in another format than CloudEvents (a bank core's own events, read by an
    # adapter through its own `accept`): the bytes cannot be decoded, or what they say cannot
    # be turned into a platform event.
    UNDECODABLE = "undecodable"
    UNMAPPABLE = "unmappable"


class Rejection(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason: DeadLetterReason
    detail: str


def new_event(
    name: str,
    source: str,
    data: Mapping[str, Any],
    *,
    subject: str | None = None,
    time: datetime | None = None,
    event_id: str | None = None,
) -> Envelope:
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=TYPE_PREFIX + name,
        time=time or datetime.now(UTC),
        subject=subject,
        data=dict(data),
    )


def to_structured(event: Envelope) -> tuple[bytes, list[tuple[str, bytes]]]:
    value = event.model_dump_json(exclude_none=True).encode()
    return value, [("content-type", STRUCTURED_CONTENT_TYPE.encode())]


def to_binary(event: Envelope) -> tuple[bytes, list[tuple[str, bytes]]]:
    attributes = event.model_dump(mode="json", exclude_none=True, exclude={"data"})
    content_type = attributes.pop("datacontenttype", JSON_CONTENT_TYPE)
    headers = [(CE_PREFIX + name, str(value).encode()) for name, value in attributes.items()]
    headers.append(("content-type", content_type.encode()))
    return json.dumps(event.data, ensure_ascii=False).encode(), headers


def parse_record(value: bytes | None, headers: Headers) -> Envelope | Rejection:
    decoded = _decode_headers(headers)
    if isinstance(decoded, Rejection):
        return decoded
    if any(name.startswith(CE_PREFIX) for name in decoded):
        return _parse_binary(value, decoded)
    return _parse_structured(value)


def _decode_headers(headers: Headers) -> dict[str, str] | Rejection:
    decoded: dict[str, str] = {}
    for name, raw in headers:
        try:
            decoded[name.lower()] = raw.decode() if raw is not None else ""
        except UnicodeDecodeError:
            return Rejection(
                reason=DeadLetterReason.NOT_CLOUDEVENT, detail=f"header {name!r} is not UTF-8"
            )
    return decoded


def _load_json(value: bytes | None) -> Any | Rejection:
    if value is None:
        return Rejection(reason=DeadLetterReason.INVALID_JSON, detail="message has no value")
    try:
        return json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return Rejection(reason=DeadLetterReason.INVALID_JSON, detail=str(error))


def _parse_structured(value: bytes | None) -> Envelope | Rejection:
    document = _load_json(value)
    if isinstance(document, Rejection):
        return document
    if not isinstance(document, dict):
        return Rejection(
            reason=DeadLetterReason.NOT_CLOUDEVENT,
            detail=f"value is a JSON {type(document).__name__}, not an event object",
        )
    return _validate(document)


def _parse_binary(value: bytes | None, headers: Mapping[str, str]) -> Envelope | Rejection:
    attributes: dict[str, Any] = {
        name.removeprefix(CE_PREFIX): text
        for name, text in headers.items()
        if name.startswith(CE_PREFIX)
    }
    attributes["datacontenttype"] = headers.get("content-type", JSON_CONTENT_TYPE)
    data = _load_json(value)
    if isinstance(data, Rejection):
        return data
    attributes["data"] = data
    return _validate(attributes)


def _validate(attributes: dict[str, Any]) -> Envelope | Rejection:
    if "specversion" not in attributes:
        return Rejection(reason=DeadLetterReason.NOT_CLOUDEVENT, detail="specversion: missing")
    try:
        return Envelope.model_validate(attributes)
    except ValidationError as error:
        return Rejection(reason=_reason_for(error), detail=describe_errors(error))


def _reason_for(error: ValidationError) -> DeadLetterReason:
    only_data = all(e["loc"][:1] == ("data",) for e in error.errors())
    return DeadLetterReason.INVALID_DATA if only_data else DeadLetterReason.NOT_CLOUDEVENT


def describe_errors(error: ValidationError) -> str:
    """`field.path: message; ...`: the form every rejection and 4xx body uses."""
    return "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or '(root)'}: {e['msg']}"
        for e in error.errors()
    )
