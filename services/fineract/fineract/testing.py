"""Fineract messages for the adapter's tests, encoded with the writer schemas of the Fineract
version beside the repository (`../shared/fineract-avro/`, read at test time, never copied),
and the mapping of one sample instance."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from fineract import encoding
from fineract.domain.avro import SchemaSet, WriterSchema
from fineract.domain.mapping import Instance
from fineract.domain.messages import BULK_PAYLOAD_SCHEMA, MESSAGE_SCHEMA, reading_both_id_widths
from shared.bus import client_options
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[3]  # the repository
SCHEMA_DIR = ROOT.parent / "shared" / "fineract-avro" / "schemas" / "avro"
MESSAGE_ITEM_SCHEMA = "org.apache.fineract.avro.BulkMessageItemV1"
ATTESTED_PURPOSE = "首贷-征信已查"
NOT_ATTESTED_PURPOSE = "续贷"


@cache
def schemas() -> SchemaSet:
    return reading_both_id_widths(SchemaSet.from_directory(SCHEMA_DIR))


@cache
def long_id_message_schema() -> WriterSchema:
    """MessageV1 as newer Fineract writes it: `id` a long."""
    document = schemas().document(MESSAGE_SCHEMA)
    return schemas().add_variant(
        {
            **document,
            "fields": [
                {**f, "type": "long"} if f["name"] == "id" else f for f in document["fields"]
            ],
        }
    )


def instance(institution_id: str = "xzrcu", **changes: Any) -> Instance:
    settings: dict[str, Any] = {
        "institution_id": institution_id,
        "first_loan_attested": {
            "field": "loanPurposeName",
            "true_values": [ATTESTED_PURPOSE],
            "false_values": [NOT_ATTESTED_PURPOSE],
        },
        "guarantee_by_product": {"1": "credit", "2": "government_guarantee"},
        "guarantor_by_product": {"2": "忻州市中小企业信用担保中心"},
    }
    return Instance.model_validate(settings | changes)


def loan(
    loan_id: int,
    uscc: str | None,
    *,
    principal: str = "500000",
    product: int = 1,
    purpose: str | None = ATTESTED_PURPOSE,
    **timeline: str,
) -> dict[str, Any]:
    return encoding.loan_account(
        loan_id,
        uscc,
        client_name="忻州示例商贸有限公司",
        principal=Decimal(principal),
        product=(product, "小微首贷" if product == 1 else "政府担保贷"),
        purpose=purpose,
        timeline={"submittedOnDate": "2020-09-20", **timeline},
    )


def single_object(schema: str, record: Mapping[str, Any]) -> bytes:
    return encoding.single_object(schemas(), schema, record)


def message(
    event_type: str,
    data: Mapping[str, Any] | bytes,
    *,
    message_id: int = 1,
    business_date: str = "2020-10-15",
    long_id: bool = False,
    **options: Any,
) -> bytes:
    return encoding.message(
        schemas(),
        event_type,
        data,
        message_id=message_id,
        business_date=business_date,
        source="fineract-xzrcu-1",
        writer=long_id_message_schema() if long_id else None,
        **options,
    )


def bulk(items: Sequence[tuple[str, Mapping[str, Any]]], **options: Any) -> bytes:
    payload = encoding.bulk_payload(schemas(), items)
    return message("BulkBusinessEvent", payload, dataschema=BULK_PAYLOAD_SCHEMA, **options)


@contextlib.asynccontextmanager
async def producer_as(settings: ServiceSettings, principal: str) -> AsyncIterator[AIOKafkaProducer]:
    """A producer authenticated as `principal`: the bank's own, as its Fineract is configured."""
    producer = AIOKafkaProducer(
        **client_options(settings, principal), acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()
