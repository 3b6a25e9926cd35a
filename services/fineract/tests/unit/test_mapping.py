"""Fineract's loan events as contract events, under the mapping of one instance: every mapped
type, the skipped ones, and every fact the mapping refuses to guess."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from fineract.domain.mapping import (
    APPROVED,
    DISBURSED,
    REJECTED,
    UNDO_DISBURSAL,
    FineractMapping,
    Translation,
    UnmappableError,
    amount_wan,
    translate,
)
from fineract.domain.messages import decode_message
from fineract.testing import NOT_ATTESTED_PURPOSE, bulk, instance, loan, message, schemas
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.testing import sample_uscc

USCC = sample_uscc(2, tag="FD")


def translated(value: bytes, **changes: Any) -> Translation:
    return translate(decode_message(schemas(), value), instance(**changes))


def test_an_approval_is_a_credit_granted() -> None:
    data = loan(11, USCC, principal="1200000", approvedOnDate="2020-10-12")
    [event] = translated(message(APPROVED, data, key="key-a")).events
    assert (event.event_id, event.key) == ("key-a", USCC)
    assert event.data == CreditGranted(
        credit_id="11",
        institution_id="xzrcu",
        uscc=USCC,
        enterprise_name="忻州示例商贸有限公司",
        amount_wan=Decimal("120.00"),
        granted_on="2020-10-12",
        applied_on="2020-09-20",
        guarantee="credit",
        product="小微首贷",
    )


def test_a_disbursal_is_a_loan_issued_with_the_attestation_of_the_rule() -> None:
    data = loan(12, USCC, product=2, actualDisbursementDate="2020-10-15")
    [event] = translated(message(DISBURSED, data)).events
    assert isinstance(event.data, LoanIssued)
    assert (event.data.loan_id, event.data.issued_on.isoformat()) == ("12", "2020-10-15")
    assert event.data.first_loan_attested is True
    assert (event.data.guarantee, event.data.guarantor) == (
        "government_guarantee",
        "忻州市中小企业信用担保中心",
    )
    assert event.data.amount_wan == Decimal("50.00")
    assert event.data.annual_rate_pct == 4.35
    data = loan(13, USCC, purpose=NOT_ATTESTED_PURPOSE, actualDisbursementDate="2020-10-15")
    [event] = translated(message(DISBURSED, data)).events
    assert isinstance(event.data, LoanIssued)
    assert event.data.first_loan_attested is False


def test_a_rejection_is_a_credit_declined_with_the_configured_problems() -> None:
    data = loan(14, USCC, rejectedOnDate="2020-10-13")
    [event] = translated(message(REJECTED, data), declined_problems=["lack_of_collateral"]).events
    assert isinstance(event.data, CreditDeclined)
    assert event.data.problems == ["lack_of_collateral"]
    assert event.data.declined_on.isoformat() == "2020-10-13"


def test_an_undone_disbursal_is_a_loan_reversed_on_the_business_day() -> None:
    data = loan(15, USCC)
    [event] = translated(
        message(UNDO_DISBURSAL, data, business_date="2020-11-02"), loan_id_prefix="t1-"
    ).events
    assert event.data == LoanReversed(
        institution_id="xzrcu",
        loan_id="t1-15",
        reversed_on="2020-11-02",
        reason="disbursal undone in Fineract",
    )
    assert event.key == USCC


@pytest.mark.parametrize(
    "event_type",
    [
        "LoanUndoApprovalBusinessEvent",
        "LoanUndoLastDisbursalBusinessEvent",
        "LoanTransactionMakeRepaymentPostBusinessEvent",
    ],
)
def test_other_types_are_skipped_and_named(event_type: str) -> None:
    result = translated(message(event_type, loan(16, USCC)))
    assert (result.events, result.skipped) == ((), (event_type,))


def test_a_bulk_message_gives_an_event_per_mapped_item_and_skips_the_rest() -> None:
    value = bulk(
        [
            (APPROVED, loan(17, USCC, approvedOnDate="2020-10-12")),
            ("LoanUndoApprovalBusinessEvent", loan(17, USCC)),
            (DISBURSED, loan(17, USCC, actualDisbursementDate="2020-10-15")),
        ],
        key="b-7",
    )
    result = translated(value)
    assert [(e.event_id, e.data.event_name()) for e in result.events] == [
        ("b-7/1", "CreditGranted"),
        ("b-7/3", "LoanIssued"),
    ]
    assert result.skipped == ("LoanUndoApprovalBusinessEvent",)


@pytest.mark.parametrize(
    ("data", "changes", "says"),
    [
        (
            loan(20, None, approvedOnDate="2020-10-12"),
            {},
            "clientExternalId is empty: the client has no USCC",
        ),
        (loan(20, "91140902MA0GABCD15", approvedOnDate="2020-10-12"), {}, "uscc"),
        (loan(20, USCC, product=9, approvedOnDate="2020-10-12"), {}, "loan product 9"),
        (loan(20, USCC), {}, "timeline.approvedOnDate is empty"),
        (
            loan(20, USCC, principal="1234567.89", approvedOnDate="2020-10-12"),
            {},
            "more than 2 decimals",
        ),
        (loan(20, USCC, principal="0", approvedOnDate="2020-10-12"), {}, "amount_wan"),
    ],
)
def test_an_approval_the_mapping_cannot_establish_is_unmappable(
    data: dict[str, Any], changes: dict[str, Any], says: str
) -> None:
    with pytest.raises(UnmappableError, match=says):
        translated(message(APPROVED, data), **changes)


def test_an_attestation_the_rule_cannot_decide_is_unmappable() -> None:
    data = loan(21, USCC, purpose=None, actualDisbursementDate="2020-10-15")
    with pytest.raises(UnmappableError, match="first_loan_attested undecided: loanPurposeName"):
        translated(message(DISBURSED, data))


def test_one_unmappable_item_makes_the_whole_bulk_unmappable() -> None:
    value = bulk(
        [(APPROVED, loan(22, USCC, approvedOnDate="2020-10-12")), (APPROVED, loan(23, None))]
    )
    with pytest.raises(UnmappableError, match="no USCC"):
        translated(value)


def test_amounts_are_converted_exactly_and_rounded_only_when_configured() -> None:
    assert amount_wan(Decimal("500000.00000000"), "reject") == "50.00"
    assert amount_wan(Decimal("1234500"), "reject") == "123.45"
    with pytest.raises(UnmappableError, match=r"0\.123456 万元"):
        amount_wan(Decimal("1234.56"), "reject")
    assert amount_wan(Decimal("1234.56"), "half_up") == "0.12"
    assert amount_wan(Decimal("1250"), "half_up") == "0.13"


def test_a_guarantee_default_covers_unlisted_products() -> None:
    data = loan(24, USCC, product=9, approvedOnDate="2020-10-12")
    [event] = translated(message(APPROVED, data), guarantee_default="collateral").events
    assert isinstance(event.data, CreditGranted)
    assert event.data.guarantee == "collateral"


def test_a_mapping_names_each_topic_and_tenant_once_and_defaults_the_topic() -> None:
    one = instance()
    assert one.topic == "fineract.xzrcu.external-events"
    mapping = FineractMapping(instances=[one, instance(tenant="branch2")])
    assert mapping.instance(one.topic, "branch2") is not None
    assert mapping.instance(one.topic, "other") is None
    with pytest.raises(ValueError, match="several instances"):
        FineractMapping(instances=[one, instance()])


def test_an_attestation_value_cannot_be_both_true_and_false() -> None:
    with pytest.raises(ValueError, match="both true and false"):
        instance(first_loan_attested={"field": "x", "true_values": [1], "false_values": [1]})
