"""From Fineract's loan events to the contract's bank events (contract §3), by the mapping its
operator configures for each Fineract instance; pure.

| Fineract type                       | contract event   |
|-------------------------------------|------------------|
| LoanApprovedBusinessEvent           | CreditGranted    |
| LoanDisbursalBusinessEvent          | LoanIssued       |
| LoanRejectedBusinessEvent           | CreditDeclined   |
| LoanUndoDisbursalBusinessEvent      | LoanReversed     |

Every other type is skipped and counted: the contract has no event that withdraws a credit
(LoanUndoApprovalBusinessEvent), and undoing the last of several disbursements
(LoanUndoLastDisbursalBusinessEvent) leaves the loan issued, so it withdraws nothing the
contract counts. Nothing is guessed: a fact the mapping cannot establish (a client without a
USCC, a product without a guarantee, an attestation the rule cannot decide, an amount that
is no whole 0.01 万元) makes the whole message unmappable, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fineract.domain.messages import BusinessEvent, FineractMessage
from shared.contracts.bank import (
    BankEventData,
    CreditDeclined,
    CreditGranted,
    LoanIssued,
    LoanReversed,
)
from shared.contracts.types import Guarantee, InstitutionId, Problem
from shared.envelope import describe_errors

APPROVED = "LoanApprovedBusinessEvent"
DISBURSED = "LoanDisbursalBusinessEvent"
REJECTED = "LoanRejectedBusinessEvent"
UNDO_DISBURSAL = "LoanUndoDisbursalBusinessEvent"
LOAN_SCHEMA = "org.apache.fineract.avro.loan.v1.LoanAccountDataV1"
CNY_PER_WAN = Decimal(10_000)
CENT_OF_WAN = Decimal("0.01")

Scalar = str | int | bool


class UnmappableError(ValueError):
    """The message cannot become contract events (the message says why)."""


class AttestationRule(BaseModel):
    """Where the bank's Fineract records its credit-report check (a datatable or flag field
    carried in the loan's data, a loan purpose, a fund, ...): `field` is a dotted path into
    `LoanAccountDataV1`; its value must be one of `true_values` or `false_values`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str = Field(min_length=1)
    true_values: list[Scalar] = Field(min_length=1)
    false_values: list[Scalar] = Field(default_factory=list)

    @model_validator(mode="after")
    def _disjoint(self) -> AttestationRule:
        both = [v for v in self.true_values if _member(v, self.false_values)]
        if both:
            raise ValueError(f"values both true and false: {both}")
        return self


class Instance(BaseModel):
    """One Fineract instance (its topic) and tenant, and how its loans read as a bank's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    institution_id: InstitutionId
    topic: str = Field(default="", description="Logical topic; `fineract.<id>.external-events`.")
    tenant: str = Field(default="default", min_length=1)
    uscc_field: str = Field(default="clientExternalId", min_length=1)
    name_field: str = Field(default="clientName", min_length=1)
    loan_id_prefix: str = ""
    amount_rounding: Literal["reject", "half_up"] = "reject"
    first_loan_attested: AttestationRule
    # Keys: Fineract loan product ids (as strings, TOML keys being strings).
    guarantee_by_product: dict[str, Guarantee] = Field(default_factory=dict)
    guarantee_default: Guarantee | None = None
    guarantor_by_product: dict[str, str] = Field(default_factory=dict)
    declined_problems: list[Problem] = Field(default_factory=lambda: [Problem.OTHER], min_length=1)

    @model_validator(mode="after")
    def _default_topic(self) -> Instance:
        if not self.topic:
            object.__setattr__(self, "topic", f"fineract.{self.institution_id}.external-events")
        return self

    @property
    def inbox_source(self) -> str:
        """The (source, id) namespace of this instance's idempotency keys."""
        return f"urn:fineract:{self.topic}:{self.tenant}"


class FineractMapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    instances: list[Instance] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_per_topic_and_tenant(self) -> FineractMapping:
        keys = [(i.topic, i.tenant) for i in self.instances]
        doubled = sorted({k for k in keys if keys.count(k) > 1})
        if doubled:
            raise ValueError(f"several instances for (topic, tenant): {doubled}")
        return self

    def instance(self, topic: str, tenant: str) -> Instance | None:
        return next((i for i in self.instances if (i.topic, i.tenant) == (topic, tenant)), None)

    @property
    def topics(self) -> list[str]:
        return sorted({i.topic for i in self.instances})

    def unknown_institutions(self, known: Collection[str]) -> list[str]:
        """The institutions mapped that are none of `known` (every campaign's): their
        events would be refused by every consumer of the bank topics."""
        return sorted({i.institution_id for i in self.instances} - set(known))


@dataclass(frozen=True)
class ContractEvent:
    event_id: str
    key: str  # the enterprise's USCC: one enterprise's events stay in order
    time: datetime
    data: BankEventData


@dataclass(frozen=True)
class Translation:
    message: FineractMessage
    events: tuple[ContractEvent, ...]
    skipped: tuple[str, ...]  # the types of the events no contract event stands for


def _member(value: object, values: Sequence[Scalar]) -> bool:
    """`value in values`, where True is not 1."""
    return any(type(v) is type(value) and v == value for v in values)


def _at(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _required(data: Mapping[str, Any], path: str, what: str) -> Any:
    value = _at(data, path)
    if value is None or value == "":
        raise UnmappableError(f"{path} is empty: {what}")
    return value


def amount_wan(cny: Decimal, rounding: Literal["reject", "half_up"]) -> str:
    """CNY to 万元, exactly; the contract takes at most 2 decimals (100 CNY)."""
    wan = cny / CNY_PER_WAN
    cents = wan.quantize(CENT_OF_WAN, rounding=ROUND_HALF_UP)
    if cents != wan and rounding == "reject":
        raise UnmappableError(
            f"{cny} CNY is {wan.normalize():f} 万元, more than 2 decimals "
            "(amount_rounding = 'half_up' rounds to 0.01 万元)"
        )
    return f"{cents:f}"


def attested(loan: Mapping[str, Any], rule: AttestationRule) -> bool:
    value = _at(loan, rule.field)
    if _member(value, rule.true_values):
        return True
    if _member(value, rule.false_values):
        return False
    raise UnmappableError(
        f"first_loan_attested undecided: {rule.field} is {value!r}, neither one of "
        f"{rule.true_values} nor of {rule.false_values}"
    )


class _Loan:
    """The fields of one `LoanAccountDataV1` the contract needs, read under an instance."""

    def __init__(self, data: Mapping[str, Any], instance: Instance) -> None:
        self.data = data
        self.instance = instance

    @property
    def loan_id(self) -> str:
        return f"{self.instance.loan_id_prefix}{_required(self.data, 'id', 'no loan id')}"

    @property
    def uscc(self) -> str:
        return str(_required(self.data, self.instance.uscc_field, "the client has no USCC"))

    @property
    def enterprise(self) -> dict[str, Any]:
        return {
            "institution_id": self.instance.institution_id,
            "uscc": self.uscc,
            "enterprise_name": _required(self.data, self.instance.name_field, "no client name"),
        }

    def date(self, field: str) -> str:
        return str(_required(self.data, f"timeline.{field}", "the date is missing"))

    def amount(self, *fields: str) -> str:
        for field in fields:
            value = _at(self.data, field)
            if value is not None:
                return amount_wan(Decimal(value), self.instance.amount_rounding)
        raise UnmappableError(f"no amount: {', '.join(fields)} all empty")

    @property
    def product(self) -> dict[str, Any]:
        product_id = str(_at(self.data, "loanProductId"))
        guarantee = self.instance.guarantee_by_product.get(product_id)
        guarantee = guarantee or self.instance.guarantee_default
        if guarantee is None:
            raise UnmappableError(
                f"loan product {product_id} ({_at(self.data, 'loanProductName')}) has no "
                "guarantee in the mapping (guarantee_by_product, guarantee_default)"
            )
        return {
            "guarantee": guarantee,
            "guarantor": self.instance.guarantor_by_product.get(product_id),
            "product": _at(self.data, "loanProductName"),
        }


def _granted(loan: _Loan, message: FineractMessage) -> BankEventData:
    return CreditGranted.model_validate(
        {
            **loan.enterprise,
            **loan.product,
            "credit_id": loan.loan_id,
            "amount_wan": loan.amount("approvedPrincipal", "principal"),
            "granted_on": loan.date("approvedOnDate"),
            "applied_on": _at(loan.data, "timeline.submittedOnDate"),
        }
    )


def _issued(loan: _Loan, message: FineractMessage) -> BankEventData:
    rate = _at(loan.data, "annualInterestRate")
    return LoanIssued.model_validate(
        {
            **loan.enterprise,
            **loan.product,
            "loan_id": loan.loan_id,
            "amount_wan": loan.amount("principal", "approvedPrincipal"),
            "issued_on": loan.date("actualDisbursementDate"),
            "applied_on": _at(loan.data, "timeline.submittedOnDate"),
            "first_loan_attested": attested(loan.data, loan.instance.first_loan_attested),
            "annual_rate_pct": float(rate) if rate is not None else None,
        }
    )


def _declined(loan: _Loan, message: FineractMessage) -> BankEventData:
    return CreditDeclined.model_validate(
        {
            **loan.enterprise,
            "declined_on": loan.date("rejectedOnDate"),
            "problems": loan.instance.declined_problems,
            "note": "rejected in Fineract",
        }
    )


def _reversed(loan: _Loan, message: FineractMessage) -> BankEventData:
    return LoanReversed.model_validate(
        {
            "institution_id": loan.instance.institution_id,
            "loan_id": loan.loan_id,
            # the undo clears the disbursement date: the business day it happened on
            "reversed_on": message.business_date.isoformat(),
            "reason": "disbursal undone in Fineract",
        }
    )


MAPPED: dict[str, Callable[[_Loan, FineractMessage], BankEventData]] = {
    APPROVED: _granted,
    DISBURSED: _issued,
    REJECTED: _declined,
    UNDO_DISBURSAL: _reversed,
}


def _contract_event(
    event: BusinessEvent, message: FineractMessage, instance: Instance
) -> ContractEvent:
    if event.dataschema != LOAN_SCHEMA:
        raise UnmappableError(f"{event.type} carries a {event.dataschema}, not a {LOAN_SCHEMA}")
    loan = _Loan(event.data, instance)
    try:
        data = MAPPED[event.type](loan, message)
    except ValidationError as error:
        raise UnmappableError(f"{event.type}: {describe_errors(error)}") from error
    except UnmappableError as error:
        raise UnmappableError(f"{event.type}: {error}") from error
    return ContractEvent(event.event_id, loan.uscc, message.created_at, data)


def translate(message: FineractMessage, instance: Instance) -> Translation:
    """The contract events a message stands for, under its instance's mapping."""
    events = []
    skipped = []
    for event in message.events:
        if event.type in MAPPED:
            events.append(_contract_event(event, message, instance))
        else:
            skipped.append(event.type)
    return Translation(message, tuple(events), tuple(skipped))
