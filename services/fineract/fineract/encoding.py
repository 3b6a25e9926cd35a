"""Fineract messages as a Fineract of the given writer schemas publishes them: the producer
side of the adapter, for its tests and for the demo's bank that runs Fineract."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from fineract.domain.avro import SchemaSet, WriterSchema
from fineract.domain.mapping import LOAN_SCHEMA
from fineract.domain.messages import BULK_PAYLOAD_SCHEMA, MESSAGE_SCHEMA


def loan_account(
    loan_id: int,
    uscc: str | None,
    *,
    client_name: str,
    principal: Decimal,
    product: tuple[int, str],
    purpose: str | None,
    annual_rate_pct: Decimal = Decimal("4.35"),
    timeline: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A `LoanAccountDataV1` with what the adapter reads; `timeline` in Fineract's names
    (`submittedOnDate`, `approvedOnDate`, `actualDisbursementDate`, `rejectedOnDate`)."""
    product_id, product_name = product
    return {
        "id": loan_id,
        "accountNo": f"{loan_id:09d}",
        "clientId": loan_id + 1000,
        "clientName": client_name,
        "clientExternalId": uscc,
        "loanProductId": product_id,
        "loanProductName": product_name,
        "loanPurposeName": purpose,
        "principal": principal,
        "approvedPrincipal": principal,
        "annualInterestRate": annual_rate_pct,
        "timeline": dict(timeline or {}),
    }


def single_object(schemas: SchemaSet, schema: str, record: Mapping[str, Any]) -> bytes:
    return schemas.encode(schemas.named(schema), record)


def message(
    schemas: SchemaSet,
    event_type: str,
    data: Mapping[str, Any] | bytes,
    *,
    message_id: int,
    key: str | None = None,
    tenant: str = "default",
    source: str = "fineract",
    dataschema: str = LOAN_SCHEMA,
    business_date: str,
    writer: WriterSchema | None = None,
) -> bytes:
    """A `MessageV1` around `data` (a record of `dataschema`, or its bytes already)."""
    payload = data if isinstance(data, bytes) else single_object(schemas, dataschema, data)
    envelope = {
        "id": message_id,
        "source": source,
        "type": event_type,
        "category": "LOAN",
        "createdAt": f"{business_date}T08:00:00",
        "businessDate": business_date,
        "tenantId": tenant,
        "idempotencyKey": key or str(uuid.uuid4()),
        "dataschema": dataschema,
        "data": payload,
    }
    return schemas.encode(writer or schemas.named(MESSAGE_SCHEMA), envelope)


def bulk_payload(schemas: SchemaSet, items: Sequence[tuple[str, Mapping[str, Any]]]) -> bytes:
    """A `BulkMessagePayloadV1` of loan events recorded together, numbered from 1."""
    payload = {
        "datas": [
            {
                "id": number,
                "type": event_type,
                "category": "LOAN",
                "dataschema": LOAN_SCHEMA,
                "data": single_object(schemas, LOAN_SCHEMA, data),
            }
            for number, (event_type, data) in enumerate(items, start=1)
        ]
    }
    return single_object(schemas, BULK_PAYLOAD_SCHEMA, payload)
