"""Fineract's external business events as they arrive: a `MessageV1` envelope whose `data` is
itself a single object of the schema its `dataschema` names; a `BulkBusinessEvent` carries
several events recorded together as `BulkMessageItemV1`s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fineract.domain.avro import SchemaSet, UndecodableError

MESSAGE_SCHEMA = "org.apache.fineract.avro.MessageV1"
BULK_TYPE = "BulkBusinessEvent"
BULK_PAYLOAD_SCHEMA = "org.apache.fineract.avro.BulkMessagePayloadV1"


@dataclass(frozen=True)
class BusinessEvent:
    """One business event: the message's own, or one item of a bulk message. `event_id` is
    unique within the Fineract instance: the idempotency key, with the item's id in a bulk."""

    event_id: str
    type: str
    dataschema: str
    data: dict[str, Any]


@dataclass(frozen=True)
class FineractMessage:
    id: int  # MessageV1.id: int in older Fineract, long in newer; gives the order
    source: str
    type: str
    category: str
    created_at: datetime
    business_date: date
    tenant_id: str
    idempotency_key: str
    events: tuple[BusinessEvent, ...]


def reading_both_id_widths(schemas: SchemaSet) -> SchemaSet:
    """`MessageV1.id` is an int in older Fineract and a long in newer (FINERACT-1971): the
    directory has one, the other is added, and the fingerprint tells them apart."""
    document = schemas.document(MESSAGE_SCHEMA)
    fields = document["fields"]
    widths = {f["type"] for f in fields if f["name"] == "id"}
    other = "long" if widths == {"int"} else "int"
    schemas.add_variant(
        {**document, "fields": [{**f, "type": other} if f["name"] == "id" else f for f in fields]}
    )
    return schemas


def _created_at(text: str) -> datetime:
    """`createdAt` is UTC in ISO_LOCAL_DATE_TIME (no offset)."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _payload(schemas: SchemaSet, dataschema: str, data: bytes, what: str) -> dict[str, Any]:
    try:
        name, record = schemas.decode(data)
    except UndecodableError as error:
        raise UndecodableError(f"{what}.data: {error}") from error
    if name != dataschema:
        raise UndecodableError(f"{what}.data is a {name}, but its dataschema says {dataschema}")
    return record


def decode_message(schemas: SchemaSet, value: bytes | None) -> FineractMessage:
    name, envelope = schemas.decode(value)
    if name != MESSAGE_SCHEMA:
        raise UndecodableError(f"the value is a {name}, not a {MESSAGE_SCHEMA}")
    try:
        created_at = _created_at(envelope["createdAt"])
        business_date = date.fromisoformat(envelope["businessDate"])
    except ValueError as error:
        raise UndecodableError(f"createdAt or businessDate: {error}") from error
    key = envelope["idempotencyKey"]
    if not key:
        raise UndecodableError("idempotencyKey is empty")
    if envelope["type"] == BULK_TYPE:
        events = _bulk_items(schemas, key, envelope)
    else:
        events = (
            BusinessEvent(
                key,
                envelope["type"],
                envelope["dataschema"],
                _payload(schemas, envelope["dataschema"], envelope["data"], "message"),
            ),
        )
    return FineractMessage(
        id=envelope["id"],
        source=envelope["source"],
        type=envelope["type"],
        category=envelope["category"],
        created_at=created_at,
        business_date=business_date,
        tenant_id=envelope["tenantId"],
        idempotency_key=key,
        events=events,
    )


def _bulk_items(
    schemas: SchemaSet, key: str, envelope: dict[str, Any]
) -> tuple[BusinessEvent, ...]:
    bulk = _payload(schemas, envelope["dataschema"], envelope["data"], "bulk message")
    if envelope["dataschema"] != BULK_PAYLOAD_SCHEMA:
        raise UndecodableError(f"a bulk message's dataschema is {envelope['dataschema']}")
    items: Sequence[dict[str, Any]] = bulk["datas"]
    seen = {item["id"] for item in items}
    if len(seen) != len(items):
        raise UndecodableError("bulk message: two items share an id")
    return tuple(
        BusinessEvent(
            f"{key}/{item['id']}",
            item["type"],
            item["dataschema"],
            _payload(schemas, item["dataschema"], item["data"], f"item {item['id']}"),
        )
        for item in items
    )
