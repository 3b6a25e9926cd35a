"""Hand-kept ledgers (手工台帐): each uploaded row checked on its own, then compared with the
ledger built from events.

A row's errors name its spreadsheet row and column. Rows are matched with built rows by
(对接企业名称, 对接银行); the comparison lists built rows missing from the upload, uploaded rows
the events do not show, and rows whose date, outcome or amounts differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.domain import sheet
from ledger.domain.periods import Month
from ledger.domain.rows import OUTCOME_ZH, ZERO, LedgerRow, Outcome

_OUTCOMES = {zh: outcome for outcome, zh in OUTCOME_ZH.items()} | {"": Outcome.PENDING}
_SEPARATORS = re.compile(r"[、,，;；/]")
_GUARANTOR = re.compile(r"[（(].*?[）)]")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?$")
Fail = Callable[[str, str], None]
_AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class UploadedRow:
    row: int
    matched_on: date
    institution_id: str
    institution_name: str
    enterprise_name: str
    outcome: Outcome
    credit_amount_wan: Decimal
    loan_amount_wan: Decimal


@dataclass(frozen=True)
class Discrepancy:
    kind: str  # missing_row | extra_row | differs
    enterprise_name: str
    institution_name: str
    row: int | None = None
    column: str | None = None
    uploaded: str | None = None
    built: str | None = None


@dataclass(frozen=True)
class UploadCheck:
    """The outcome of checking an upload: its rows' errors, its differences from events."""

    rows: int
    errors: list[RowError]
    discrepancies: list[Discrepancy]


@dataclass(frozen=True)
class ReportingUnitContext:
    """What a row is checked against: the reporting unit and the reference data's names."""

    reporting_unit_names: frozenset[str]
    month: Month
    institutions_by_name: Mapping[str, str]  # name or id -> institution id
    institution_id: str | None  # set when the reporting unit is an institution
    guarantee_names: frozenset[str]
    problem_names: frozenset[str]


def check_row(
    number: int, values: Mapping[str, Any], context: ReportingUnitContext
) -> UploadedRow | list[RowError]:
    """One spreadsheet row (`number` as Excel shows it) as an `UploadedRow`, or its errors."""
    errors: list[RowError] = []

    def fail(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    reporting_unit = _text(values.get(sheet.UNIT))
    names = context.reporting_unit_names
    if reporting_unit and not any(name in reporting_unit for name in names):
        fail(sheet.UNIT, f"{reporting_unit!r} is not this unit ({'/'.join(sorted(names))})")
    matched_on = _date(values.get(sheet.MATCHED_ON))
    if matched_on is None:
        fail(sheet.MATCHED_ON, "must be a date such as 2020-10-15")
    elif not context.month.contains(matched_on):
        fail(sheet.MATCHED_ON, f"{matched_on} is not in {context.month}")
    bank = _text(values.get(sheet.BANK))
    institution_id = context.institutions_by_name.get(bank)
    if institution_id is None:
        fail(sheet.BANK, f"{bank!r} is not an institution of the campaign")
    elif context.institution_id and institution_id != context.institution_id:
        fail(sheet.BANK, f"{bank!r} is another institution than this ledger's")
    enterprise = _text(values.get(sheet.ENTERPRISE))
    if not enterprise:
        fail(sheet.ENTERPRISE, "required")
    outcome = _OUTCOMES.get(_text(values.get(sheet.OUTCOME)))
    if outcome is None:
        fail(sheet.OUTCOME, "must be 是, 否 or 待定")
    credit = _amount(values.get(sheet.CREDIT), sheet.CREDIT, fail)
    loans = _amount(values.get(sheet.LOANS), sheet.LOANS, fail)
    if outcome is Outcome.GRANTED and credit == ZERO:
        fail(sheet.CREDIT, "required when 是否授信 is 是")
    if outcome in (Outcome.DECLINED, Outcome.PENDING) and credit:
        fail(sheet.CREDIT, "must be empty unless 是否授信 is 是")
    _check_names(values.get(sheet.GUARANTEE), sheet.GUARANTEE, context.guarantee_names, fail)
    if outcome is Outcome.GRANTED and not _text(values.get(sheet.GUARANTEE)):
        fail(sheet.GUARANTEE, "required when 是否授信 is 是")
    _check_names(values.get(sheet.PROBLEMS), sheet.PROBLEMS, context.problem_names, fail)
    if outcome is Outcome.DECLINED and not _text(values.get(sheet.PROBLEMS)):
        fail(sheet.PROBLEMS, "required when 是否授信 is 否")
    if errors:
        return errors
    assert matched_on is not None
    assert institution_id is not None
    assert outcome is not None
    return UploadedRow(
        row=number,
        matched_on=matched_on,
        institution_id=institution_id,
        institution_name=bank,
        enterprise_name=enterprise,
        outcome=outcome,
        credit_amount_wan=credit or ZERO,
        loan_amount_wan=loans or ZERO,
    )


def discrepancies(uploaded: Sequence[UploadedRow], built: Sequence[LedgerRow]) -> list[Discrepancy]:
    by_key = {(r.enterprise_name, r.institution_id): r for r in built}
    seen: set[tuple[str, str]] = set()
    found: list[Discrepancy] = []
    for row in uploaded:
        key = (row.enterprise_name, row.institution_id)
        match = by_key.get(key)
        if match is None or key in seen:
            found.append(
                Discrepancy("extra_row", row.enterprise_name, row.institution_name, row.row)
            )
            continue
        seen.add(key)
        found += _differences(row, match)
    found += [
        Discrepancy("missing_row", r.enterprise_name, r.institution_name)
        for key, r in by_key.items()
        if key not in seen
    ]
    return found


def _differences(row: UploadedRow, built: LedgerRow) -> list[Discrepancy]:
    pairs = [
        (sheet.MATCHED_ON, row.matched_on.isoformat(), built.matched_on.isoformat()),
        (sheet.OUTCOME, OUTCOME_ZH[row.outcome], OUTCOME_ZH[built.outcome]),
        (sheet.CREDIT, _money(row.credit_amount_wan), _money(built.credit_amount_wan)),
        (sheet.LOANS, _money(row.loan_amount_wan), _money(built.loan_amount_wan)),
    ]
    return [
        Discrepancy("differs", row.enterprise_name, row.institution_name, row.row, col, up, bt)
        for col, up, bt in pairs
        if up != bt
    ]


def _money(amount: Decimal) -> str:
    return sheet.amount_text(amount) or "0.00"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE_TEXT.match(_text(value))
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _amount(value: Any, column: str, fail: Fail) -> Decimal | None:
    if value is None or _text(value) == "":
        return None
    if isinstance(value, bool):
        fail(column, "must be an amount in 万元")
        return None
    text = f"{value:.10f}".rstrip("0").rstrip(".") if isinstance(value, float) else _text(value)
    if not _AMOUNT.match(text):
        fail(column, f"{_text(value)!r} is not a non-negative amount with at most 2 decimals")
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already ensures it
        fail(column, "not a number")
        return None


def _check_names(value: Any, column: str, known: frozenset[str], fail: Fail) -> None:
    for part in _SEPARATORS.split(_GUARANTOR.sub("", _text(value))):
        name = part.strip()
        if name and name not in known:
            fail(column, f"{name!r} is not one of {'、'.join(sorted(known))}")
