"""Hand-kept rows checked one by one, and compared with the built ledger."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ledger.domain import sheet
from ledger.domain.periods import Month
from ledger.domain.rows import LedgerRow, Outcome
from ledger.domain.upload import (
    ReportingUnitContext,
    RowError,
    UploadedRow,
    check_row,
    discrepancies,
)
from shared.contracts.types import GUARANTEE_ZH, PROBLEM_ZH

CONTEXT = ReportingUnitContext(
    reporting_unit_names=frozenset({"忻府区", "忻州市区"}),
    month=Month(2020, 10),
    institutions_by_name={"工商银行忻州分行": "icbc", "icbc": "icbc"},
    institution_id=None,
    guarantee_names=frozenset(GUARANTEE_ZH.values()),
    problem_names=frozenset(PROBLEM_ZH.values()),
)


def values(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        sheet.UNIT: "人民银行忻州市区支行",
        sheet.MATCHED_ON: datetime(2020, 10, 8),
        sheet.BANK: "工商银行忻州分行",
        sheet.ENTERPRISE: "甲公司",
        sheet.OUTCOME: "是",
        sheet.CREDIT: 100.5,
        sheet.GUARANTEE: "政府性融资担保（忻州担保）",
        sheet.PROBLEMS: None,
        sheet.LOANS: "80",
        sheet.REMARKS: None,
    }
    return row | overrides


def test_a_good_row() -> None:
    row = check_row(4, values(), CONTEXT)
    assert isinstance(row, UploadedRow)
    assert (row.institution_id, row.credit_amount_wan, row.loan_amount_wan) == (
        "icbc",
        Decimal("100.5"),
        Decimal(80),
    )


def test_each_error_names_its_row_and_column() -> None:
    bad = values(
        **{
            sheet.MATCHED_ON: "2020-11-02",
            sheet.BANK: "某某银行",
            sheet.OUTCOME: "否",
            sheet.CREDIT: "12.345",
            sheet.PROBLEMS: "缺钱",
            sheet.GUARANTEE: None,
        }
    )
    errors = check_row(7, bad, CONTEXT)
    assert isinstance(errors, list)
    assert {(e.row, e.column) for e in errors} == {
        (7, sheet.MATCHED_ON),
        (7, sheet.BANK),
        (7, sheet.CREDIT),
        (7, sheet.PROBLEMS),
    }
    assert all(isinstance(e, RowError) and e.message for e in errors)


def built(name: str, outcome: Outcome, credit: str, loans: str) -> LedgerRow:
    return LedgerRow(
        "u",
        "icbc",
        "工商银行忻州分行",
        name,
        date(2020, 10, 8),
        outcome,
        Decimal(credit),
        "",
        "",
        Decimal(loans),
        "",
    )


def test_discrepancies() -> None:
    up = [
        check_row(4, values(), CONTEXT),
        check_row(5, values(**{sheet.ENTERPRISE: "丙公司"}), CONTEXT),
    ]
    rows = [
        built("甲公司", Outcome.GRANTED, "100.5", "60"),
        built("乙公司", Outcome.PENDING, "0", "0"),
    ]
    found = discrepancies([r for r in up if isinstance(r, UploadedRow)], rows)
    assert {(d.kind, d.enterprise_name, d.column, d.uploaded, d.built) for d in found} == {
        ("differs", "甲公司", sheet.LOANS, "80.00", "60.00"),
        ("extra_row", "丙公司", None, None, None),
        ("missing_row", "乙公司", None, None, None),
    }
