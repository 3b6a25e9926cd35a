"""Building a month's ledger rows (工作台帐) from facts.

Rules:

- One row per (enterprise, institution) pair with at least one pairing (对接) dated in the
  month. 对接时间 is the pair's first pairing date in the month.
- A credit decision or a loan belongs to the row of the pair's most recent pairing month on
  or before its date: the month of the latest pairing dated on or before the decision's
  `granted_on`/`declined_on` or the loan's `issued_on`. So everything that follows a pairing
  is reported under it (also when it happens after the month, until the pair is paired
  again in a later month), each credit and loan appears in exactly one month's ledger, and a
  credit or loan dated before the pair's first pairing appears in none (it is not a result
  of the pairing).
- 对接成效(是否授信): 是 when a credit was granted, 否 when credit was only declined, 待定 while
  no decision is known. 授信金额 sums the granted credits; 担保情况 names their guarantees;
  存在的主要问题 names the problems of declines (only when no credit was granted).
- 对接后发放新贷款金额 sums the row's loans that were not reversed (冲正).
- 备注 names the pairing channel, decline notes and reversed loans.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from ledger.domain.facts import CreditDecision, Facts, Loan, Pairing
from ledger.domain.periods import Month

Pair = tuple[str, str]
Fact = TypeVar("Fact", CreditDecision, Loan)
ZERO = Decimal(0)
CENT = Decimal("0.01")

CHANNEL_ZH = {
    "fair": "首贷对接会",
    "one_on_one": "一对一对接",
    "online": "线上对接",
    "service_center": "首贷服务中心",
}


class Outcome(StrEnum):
    GRANTED = "granted"  # 是
    DECLINED = "declined"  # 否
    PENDING = "pending"  # 待定


OUTCOME_ZH = {Outcome.GRANTED: "是", Outcome.DECLINED: "否", Outcome.PENDING: "待定"}


@dataclass(frozen=True)
class LedgerRow:
    uscc: str
    institution_id: str
    institution_name: str
    enterprise_name: str
    matched_on: date
    outcome: Outcome
    credit_amount_wan: Decimal
    guarantee: str
    problems: str
    loan_amount_wan: Decimal
    remarks: str


@dataclass(frozen=True)
class Totals:
    row_count: int
    granted_count: int
    credit_amount_wan: Decimal
    loan_amount_wan: Decimal


def attributed_month(pairing_dates: list[date], on: date) -> Month | None:
    """The month of the latest pairing on or before `on` (`pairing_dates` sorted)."""
    index = bisect.bisect_right(pairing_dates, on)
    return Month.of(pairing_dates[index - 1]) if index else None


def build_rows(
    month: Month,
    facts: Facts,
    institution_names: Mapping[str, str],
    guarantee_names: Mapping[str, str],
    problem_names: Mapping[str, str],
) -> list[LedgerRow]:
    """The month's rows for the pairs in `facts` (the caller selects the reporting unit's pairs)."""
    dates = _pairing_dates(facts.pairings)
    decisions = _attributed(facts.decisions, dates, month, lambda d: d.decided_on)
    loans = _attributed(facts.loans, dates, month, lambda loan: loan.issued_on)
    rows = []
    for pair, in_month in _pairings_in(month, facts.pairings).items():
        first = min(in_month, key=lambda p: (p.matched_on, p.match_id))
        row_decisions = sorted(decisions.get(pair, []), key=lambda d: d.decided_on)
        row_loans = sorted(loans.get(pair, []), key=lambda loan: (loan.issued_on, loan.loan_id))
        rows.append(
            LedgerRow(
                uscc=pair[0],
                institution_id=pair[1],
                institution_name=institution_names.get(pair[1], pair[1]),
                enterprise_name=_name(pair[0], facts, in_month, row_decisions, row_loans),
                matched_on=first.matched_on,
                outcome=_outcome(row_decisions),
                credit_amount_wan=sum((d.amount_wan for d in row_decisions if d.granted), ZERO),
                guarantee=_guarantees(row_decisions, guarantee_names),
                problems=_problems(row_decisions, problem_names),
                loan_amount_wan=sum(
                    (loan.amount_wan for loan in row_loans if not loan.reversed), ZERO
                ),
                remarks=_remarks(in_month, row_decisions, row_loans),
            )
        )
    return sorted(rows, key=lambda r: (r.matched_on, r.institution_id, r.enterprise_name, r.uscc))


def totals(rows: Iterable[LedgerRow]) -> Totals:
    rows = list(rows)
    return Totals(
        row_count=len(rows),
        granted_count=sum(1 for r in rows if r.outcome is Outcome.GRANTED),
        credit_amount_wan=sum((r.credit_amount_wan for r in rows), ZERO),
        loan_amount_wan=sum((r.loan_amount_wan for r in rows), ZERO),
    )


def _pairing_dates(pairings: Iterable[Pairing]) -> dict[Pair, list[date]]:
    dates: dict[Pair, set[date]] = defaultdict(set)
    for pairing in pairings:
        dates[pairing.pair].add(pairing.matched_on)
    return {pair: sorted(days) for pair, days in dates.items()}


def _pairings_in(month: Month, pairings: Iterable[Pairing]) -> dict[Pair, list[Pairing]]:
    grouped: dict[Pair, list[Pairing]] = defaultdict(list)
    for pairing in pairings:
        if month.contains(pairing.matched_on):
            grouped[pairing.pair].append(pairing)
    return grouped


def _attributed(
    items: Iterable[Fact],
    dates: Mapping[Pair, list[date]],
    month: Month,
    on: Callable[[Fact], date],
) -> dict[Pair, list[Fact]]:
    grouped: dict[Pair, list[Fact]] = defaultdict(list)
    for item in items:
        pair_dates = dates.get(item.pair)
        if pair_dates and attributed_month(pair_dates, on(item)) == month:
            grouped[item.pair].append(item)
    return grouped


def _name(
    uscc: str,
    facts: Facts,
    pairings: list[Pairing],
    decisions: list[CreditDecision],
    loans: list[Loan],
) -> str:
    """The roster's name, else the pairing's, else the bank's, else the USCC itself."""
    candidates = [
        facts.names.get(uscc),
        *(p.enterprise_name for p in pairings),
        *(d.enterprise_name for d in decisions),
        *(loan.enterprise_name for loan in loans),
    ]
    return next((name for name in candidates if name), uscc)


def _outcome(decisions: list[CreditDecision]) -> Outcome:
    if any(d.granted for d in decisions):
        return Outcome.GRANTED
    return Outcome.DECLINED if decisions else Outcome.PENDING


def _guarantees(decisions: list[CreditDecision], names: Mapping[str, str]) -> str:
    parts: list[str] = []
    for decision in decisions:
        if not decision.granted or decision.guarantee is None:
            continue
        part = names.get(decision.guarantee, decision.guarantee)
        if decision.guarantor:
            part += f"（{decision.guarantor}）"
        if part not in parts:
            parts.append(part)
    return "、".join(parts)


def _problems(decisions: list[CreditDecision], names: Mapping[str, str]) -> str:
    if _outcome(decisions) is not Outcome.DECLINED:
        return ""
    found = {problem for d in decisions for problem in d.problems}
    return "、".join(names[p] for p in names if p in found)


def _remarks(pairings: list[Pairing], decisions: list[CreditDecision], loans: list[Loan]) -> str:
    channels = dict.fromkeys(CHANNEL_ZH.get(p.channel, p.channel) for p in pairings)
    parts = list(channels)
    parts += [d.note for d in decisions if not d.granted and d.note]
    reversed_loans = [loan for loan in loans if loan.reversed]
    if reversed_loans:
        amount = sum((loan.amount_wan for loan in reversed_loans), ZERO)
        parts.append(f"冲正贷款{len(reversed_loans)}笔{amount.quantize(CENT)}万元")
    return "；".join(parts)
