"""The demo's bank that runs Apache Fineract (`firstloan demo --fineract ID`): its loan events
of the simulated campaign leave as Fineract's external business events (Avro, encoded with
the writer schemas of the configured directory) on its Fineract topic, and the adapter turns
them back into the contract's events, with the mapping written here."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from console.demo.plan import BankEvent
from fineract import encoding
from fineract.domain.avro import SchemaSet
from fineract.domain.mapping import APPROVED, DISBURSED, REJECTED, UNDO_DISBURSAL
from fineract.domain.messages import reading_both_id_widths
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.contracts.types import Guarantee

# The schemas of the Fineract version kept beside the repository (its `avro/` directory).
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parents[3] / "shared/fineract-avro/schemas/avro"
# One Fineract loan product per way of securing a loan: the mapping reads it back.
PRODUCTS = {g: (n, f"demo-{g.value}") for n, g in enumerate(Guarantee, start=1)}
ATTESTED, NOT_ATTESTED = "首贷-征信已查", "续贷"
WAN = Decimal(10_000)  # CNY in a 万元


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
    schemas: SchemaSet
    loans: dict[str, int] = field(default_factory=dict)  # the campaign's loan id -> number
    approved: dict[str, int] = field(default_factory=dict)  # USCC -> its undisbursed loan
    sent: int = 0

    @classmethod
    def reading(cls, institution_id: str, schema_dir: Path) -> FineractBank:
        return cls(institution_id, reading_both_id_widths(SchemaSet.from_directory(schema_dir)))

    @property
    def topic(self) -> str:
        return fineract_topic(self.institution_id)

    def encode(self, event: BankEvent) -> tuple[bytes, bytes]:
        """(key, value): the loan's number as an 8-byte big-endian long, the `MessageV1`."""
        data, on = event.data, event.on.isoformat()
        if isinstance(data, CreditGranted):
            number = self._new_loan()
            self.approved[data.uscc] = number
            kind = APPROVED
            timeline = {"approvedOnDate": data.granted_on.isoformat()}
            record = self._account(number, data.uscc, data.enterprise_name, data.amount_wan)
            record["loanProductId"], record["loanProductName"] = PRODUCTS[data.guarantee]
        elif isinstance(data, LoanIssued):
            number = self.approved.pop(data.uscc, 0) or self._new_loan()
            self.loans[data.loan_id] = number
            kind = DISBURSED
            timeline = {"actualDisbursementDate": data.issued_on.isoformat()}
            record = self._account(number, data.uscc, data.enterprise_name, data.amount_wan)
            record["loanProductId"], record["loanProductName"] = PRODUCTS[data.guarantee]
            record["loanPurposeName"] = ATTESTED if data.first_loan_attested else NOT_ATTESTED
            if data.annual_rate_pct is not None:
                record["annualInterestRate"] = Decimal(str(data.annual_rate_pct))
        elif isinstance(data, CreditDeclined):
            number = self._new_loan()
            kind = REJECTED
            timeline = {"rejectedOnDate": data.declined_on.isoformat()}
            record = self._account(number, data.uscc, data.enterprise_name, Decimal(0))
        elif isinstance(data, LoanReversed):
            number = self.loans[data.loan_id]
            kind, timeline = UNDO_DISBURSAL, dict[str, str]()
            record = self._account(number, event.uscc, "", Decimal(0))
        else:
            raise ValueError(f"{data.event_name()} is no loan event of Fineract")
        applied_on = getattr(data, "applied_on", None)
        if applied_on is not None:
            timeline["submittedOnDate"] = applied_on.isoformat()
        record["timeline"] = timeline
        self.sent += 1
        value = encoding.message(
            self.schemas,
            kind,
            record,
            message_id=self.sent,
            key=event.event_id,
            source=f"fineract-{self.institution_id}",
            business_date=on,
        )
        return number.to_bytes(8, "big"), value

    def _new_loan(self) -> int:
        return self.sent + 1  # at most one new loan per message

    def _account(self, number: int, uscc: str, name: str, amount_wan: Decimal) -> dict[str, Any]:
        return encoding.loan_account(
            number,
            uscc,
            client_name=name,
            principal=amount_wan * WAN,
            product=PRODUCTS[Guarantee.CREDIT],
            purpose=None,
        )
