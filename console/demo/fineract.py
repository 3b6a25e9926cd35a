"""The demo's bank that runs Apache Fineract (`firstloan demo --fineract ID`): its loan events
of the simulated campaign leave as Fineract's external business events on its Fineract topic,
and the adapter turns them back into the contract's events, with the mapping written here.

The messages are written here, not with the adapter's code: fastavro's writer over the `.avsc`
files of the configured directory, and Fineract's envelope (`MessageV1`) built here, so that
the adapter reading them back shows whether it reads what Fineract writes."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from fastavro import parse_schema, schemaless_writer
from fastavro.repository.base import AbstractSchemaRepository, SchemaRepositoryError
from fastavro.schema import fingerprint, load_schema, to_parsing_canonical_form
from fastavro.types import Schema

from console.demo.plan import BankEvent
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.contracts.types import Guarantee

# The schemas of the Fineract version kept beside the repository (its `avro/` directory).
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parents[3] / "shared/fineract-avro/schemas/avro"
# One Fineract loan product per way of securing a loan: the mapping reads it back.
PRODUCTS = {g: (n, f"demo-{g.value}") for n, g in enumerate(Guarantee, start=1)}
ATTESTED, NOT_ATTESTED = "首贷-征信已查", "续贷"
WAN = Decimal(10_000)  # CNY in a 万元

# Fineract's names, as its documentation and schema files give them.
MESSAGE = "org.apache.fineract.avro.MessageV1"
LOAN_ACCOUNT = "org.apache.fineract.avro.loan.v1.LoanAccountDataV1"
BULK_PAYLOAD = "org.apache.fineract.avro.BulkMessagePayloadV1"
LOAN_APPROVED = "LoanApprovedBusinessEvent"
LOAN_DISBURSED = "LoanDisbursalBusinessEvent"
LOAN_REJECTED = "LoanRejectedBusinessEvent"
LOAN_DISBURSAL_UNDONE = "LoanUndoDisbursalBusinessEvent"
# Fineract's build turns every `bigdecimal` of its schema files into this decimal.
FINERACT_DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 20, "scale": 8}
# Avro single-object encoding: this marker, the writer schema's fingerprint, then the body.
SINGLE_OBJECT_MARKER = b"\xc3\x01"


class SchemaFiles(AbstractSchemaRepository):
    """The `.avsc` files of one Fineract version, by the full name each declares: where
    fastavro looks up the types a schema names, and writes each one out where first used."""

    def __init__(self, directory: Path) -> None:
        self.files: dict[str, Path] = {}
        for path in directory.rglob("*.avsc"):
            declared = json.loads(path.read_text(encoding="utf-8"))
            self.files[f"{declared['namespace']}.{declared['name']}"] = path

    def load(self, name: str) -> Any:
        if name not in self.files:
            raise SchemaRepositoryError(f"no schema named {name}")
        text = self.files[name].read_text(encoding="utf-8")
        # A JSON string "bigdecimal" can only be the type: quotes in a doc are escaped.
        return json.loads(text.replace('"bigdecimal"', json.dumps(FINERACT_DECIMAL)))


@dataclass(frozen=True)
class SingleObjectWriter:
    parsed: Schema
    fingerprint: bytes  # CRC-64-AVRO of the parsing canonical form, in the order it travels

    @classmethod
    def of(cls, schema: Schema) -> SingleObjectWriter:
        canonical = to_parsing_canonical_form(schema)
        return cls(parse_schema(schema), bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO")))

    def write(self, record: Mapping[str, Any]) -> bytes:
        body = io.BytesIO()
        schemaless_writer(body, self.parsed, dict(record))
        return SINGLE_OBJECT_MARKER + self.fingerprint + body.getvalue()


class FineractWriter:
    """What a Fineract of the directory's schemas writes on its external-events topic."""

    def __init__(self, directory: Path) -> None:
        self.schemas = SchemaFiles(directory)
        self._writers: dict[tuple[str, str | None], SingleObjectWriter] = {}

    def writer(
        self, name: str, message_id_type: Literal["int", "long"] | None = None
    ) -> SingleObjectWriter:
        key = (name, message_id_type)
        if key not in self._writers:
            schema = load_schema(name, repo=self.schemas)
            if message_id_type is not None and isinstance(schema, dict):
                # `MessageV1.id` is an int before FINERACT-1971 and a long after it.
                fields = [
                    {**f, "type": message_id_type} if f["name"] == "id" else f
                    for f in schema["fields"]
                ]
                schema = {**schema, "fields": fields}
            self._writers[key] = SingleObjectWriter.of(schema)
        return self._writers[key]

    def single_object(self, name: str, record: Mapping[str, Any]) -> bytes:
        return self.writer(name).write(record)

    def message(
        self,
        event_type: str,
        data: Mapping[str, Any],
        *,
        message_id: int,
        idempotency_key: str,
        source: str,
        business_date: str,
        dataschema: str = LOAN_ACCOUNT,
        tenant: str = "default",
        message_id_type: Literal["int", "long"] | None = None,
    ) -> bytes:
        """A `MessageV1` whose `data` is `data` written as a `dataschema`; its id an int or a
        long as `message_id_type` says (None: as the directory's `MessageV1`)."""
        envelope = {
            "id": message_id,
            "source": source,
            "type": event_type,
            "category": "LOAN",
            # UTC without an offset, as Fineract writes it (16:00 of the day in China).
            "createdAt": f"{business_date}T08:00:00",
            "businessDate": business_date,
            "tenantId": tenant,
            "idempotencyKey": idempotency_key,
            "dataschema": dataschema,
            "data": self.single_object(dataschema, data),
        }
        return self.writer(MESSAGE, message_id_type).write(envelope)


def fineract_topic(institution_id: str) -> str:
    return f"fineract.{institution_id}.external-events"


def mapping_toml(institution_id: str) -> str:
    """The adapter's mapping of the demo's Fineract (docs/fineract.md)."""
    products = ", ".join(f'"{n}" = "{g.value}"' for g, (n, _) in PRODUCTS.items())
    return (
        "[[instances]]\n"
        f'institution_id = "{institution_id}"\n'
        f"guarantee_by_product = {{ {products} }}\n"
        'declined_problems = ["other"]\n'
        "\n[instances.first_loan_attested]\n"
        'field = "loanPurposeName"\n'
        f'true_values = ["{ATTESTED}"]\n'
        f'false_values = ["{NOT_ATTESTED}"]\n'
    )


@dataclass
class FineractBank:
    """Numbers the campaign's credits and loans as Fineract loans (a credit and the loan
    disbursed on it are one Fineract loan) and encodes each event as the message Fineract
    would send, in the order of `MessageV1.id`."""

    institution_id: str
    fineract: FineractWriter
    loans: dict[str, int] = field(default_factory=dict)  # the campaign's loan id -> number
    approved: dict[str, int] = field(default_factory=dict)  # USCC -> its undisbursed loan
    sent: int = 0

    @classmethod
    def reading(cls, institution_id: str, schema_dir: Path) -> FineractBank:
        return cls(institution_id, FineractWriter(schema_dir))

    @property
    def topic(self) -> str:
        return fineract_topic(self.institution_id)

    def encode(self, event: BankEvent) -> tuple[bytes, bytes]:
        """(key, value): the loan's number as an 8-byte big-endian long, the `MessageV1`."""
        data = event.data
        if isinstance(data, CreditGranted):
            number = self._new_loan()
            self.approved[data.uscc] = number
            kind = LOAN_APPROVED
            timeline = {"approvedOnDate": data.granted_on.isoformat()}
            account = self._account(number, data.uscc, data.enterprise_name, data.amount_wan)
            account |= self._product(data.guarantee)
        elif isinstance(data, LoanIssued):
            number = self.approved.pop(data.uscc, 0) or self._new_loan()
            self.loans[data.loan_id] = number
            kind = LOAN_DISBURSED
            timeline = {"actualDisbursementDate": data.issued_on.isoformat()}
            account = self._account(number, data.uscc, data.enterprise_name, data.amount_wan)
            account |= self._product(data.guarantee)
            account["loanPurposeName"] = ATTESTED if data.first_loan_attested else NOT_ATTESTED
            if data.annual_rate_pct is not None:
                account["annualInterestRate"] = Decimal(str(data.annual_rate_pct))
        elif isinstance(data, CreditDeclined):
            number = self._new_loan()
            kind = LOAN_REJECTED
            timeline = {"rejectedOnDate": data.declined_on.isoformat()}
            account = self._account(number, data.uscc, data.enterprise_name, Decimal(0))
        elif isinstance(data, LoanReversed):
            number = self.loans[data.loan_id]
            kind, timeline = LOAN_DISBURSAL_UNDONE, dict[str, str]()
            account = self._account(number, event.uscc, "", Decimal(0))
        else:
            raise ValueError(f"{data.event_name()} is no loan event of Fineract")
        applied_on = getattr(data, "applied_on", None)
        if applied_on is not None:
            timeline["submittedOnDate"] = applied_on.isoformat()
        account["timeline"] = timeline
        self.sent += 1
        value = self.fineract.message(
            kind,
            account,
            message_id=self.sent,
            idempotency_key=event.event_id,
            source=f"fineract-{self.institution_id}",
            business_date=event.on.isoformat(),
        )
        return number.to_bytes(8, "big"), value

    def _new_loan(self) -> int:
        return self.sent + 1  # at most one new loan per message

    @staticmethod
    def _account(number: int, uscc: str, name: str, amount_wan: Decimal) -> dict[str, Any]:
        """The `LoanAccountDataV1` fields a bank's Fineract fills for this loan."""
        principal = amount_wan * WAN
        return {
            "id": number,
            "accountNo": f"{number:09d}",
            "clientName": name,
            "clientExternalId": uscc,
            "principal": principal,
            "approvedPrincipal": principal,
        }

    @staticmethod
    def _product(guarantee: Guarantee) -> dict[str, Any]:
        product_id, product_name = PRODUCTS[guarantee]
        return {"loanProductId": product_id, "loanProductName": product_name}
