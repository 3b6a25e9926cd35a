"""The row-building rules: one row per pair paired in the month, credits and loans
attributed to the latest pairing month on or before their date, any fact order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from random import Random

from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.facts import CreditDecision, Facts, Loan, Pairing
from ledger.domain.periods import Month
from ledger.domain.rows import LedgerRow, Outcome, attributed_month, build_rows, totals
from shared.contracts.types import GUARANTEE_ZH, PROBLEM_ZH

A, B = "91140902MA0000001A", "91140902MA0000002B"
OCT, NOV = Month(2020, 10), Month(2020, 11)
NAMES = {"icbc": "工商银行忻州分行", "abc": "农业银行忻州分行"}
GUARANTEES = {g.value: n for g, n in GUARANTEE_ZH.items()}
PROBLEMS = {p.value: n for p, n in PROBLEM_ZH.items()}


def rows(month: Month, facts: Facts) -> list[LedgerRow]:
    return build_rows(month, facts, NAMES, GUARANTEES, PROBLEMS)


def pairing(uscc: str, bank: str, on: date, match_id: str = "") -> Pairing:
    return Pairing(match_id or f"{uscc}-{bank}-{on}", uscc, bank, on, "fair", "140902", None)


def granted(
    uscc: str, bank: str, on: date, amount: str, guarantee: str = "credit"
) -> CreditDecision:
    return CreditDecision(
        f"C-{uscc}-{on}", bank, uscc, on, True, "甲公司", Decimal(amount), guarantee
    )


def declined(uscc: str, bank: str, on: date, *problems: str) -> CreditDecision:
    return CreditDecision(
        f"D-{uscc}-{on}", bank, uscc, on, False, "甲公司", problems=problems, note="补充材料后再议"
    )


def loan(uscc: str, bank: str, on: date, amount: str, loan_id: str, rev: bool = False) -> Loan:
    return Loan(bank, loan_id, uscc, on, Decimal(amount), "甲公司", reversed=rev)


def test_attribution_is_the_latest_pairing_month_on_or_before_the_date() -> None:
    dates = [date(2020, 10, 5), date(2020, 10, 20), date(2020, 11, 3)]
    assert attributed_month(dates, date(2020, 10, 4)) is None
    assert attributed_month(dates, date(2020, 10, 5)) == OCT
    assert attributed_month(dates, date(2020, 11, 2)) == OCT
    assert attributed_month(dates, date(2020, 11, 3)) == NOV
    assert attributed_month(dates, date(2021, 3, 1)) == NOV


def test_scripted_month() -> None:
    facts = Facts(
        pairings=(
            pairing(A, "icbc", date(2020, 10, 12)),
            pairing(A, "icbc", date(2020, 10, 8)),
            pairing(B, "icbc", date(2020, 10, 9)),
            pairing(A, "abc", date(2020, 9, 30)),
        ),
        decisions=(
            granted(A, "icbc", date(2020, 10, 20), "100.5", "government_guarantee"),
            granted(A, "icbc", date(2020, 10, 28), "20", "collateral"),
            declined(B, "icbc", date(2020, 10, 15), "lack_of_guarantee", "lack_of_information"),
            granted(A, "abc", date(2020, 10, 2), "50"),  # September's pairing, not October's
        ),
        loans=(
            loan(A, "icbc", date(2020, 11, 2), "80", "L1"),  # after the month: still October's
            loan(A, "icbc", date(2020, 10, 1), "30", "L0"),  # before the pairing: nobody's
            loan(A, "icbc", date(2020, 11, 5), "10", "L2", rev=True),
        ),
        names={A: "忻州甲农业有限公司"},
    )
    october = rows(OCT, facts)
    assert [(r.uscc, r.institution_id) for r in october] == [(A, "icbc"), (B, "icbc")]
    first, second = october
    assert first.matched_on == date(2020, 10, 8)
    assert first.enterprise_name == "忻州甲农业有限公司"
    assert first.institution_name == "工商银行忻州分行"
    assert (first.outcome, first.credit_amount_wan) == (Outcome.GRANTED, Decimal("120.5"))
    assert first.guarantee == "政府性融资担保、抵质押"
    assert first.problems == ""
    assert first.loan_amount_wan == Decimal("80")
    assert "冲正贷款1笔10.00万元" in first.remarks
    assert second.enterprise_name == "甲公司"
    assert (second.outcome, second.problems) == (Outcome.DECLINED, "缺信息、缺担保")
    assert "补充材料后再议" in second.remarks
    assert rows(Month(2020, 9), facts)[0].credit_amount_wan == Decimal(50)
    summed = totals(october)
    assert (summed.row_count, summed.granted_count) == (2, 1)
    assert summed.loan_amount_wan == Decimal(80)


def test_a_pair_paired_again_later_takes_what_follows() -> None:
    facts = Facts(
        pairings=(pairing(A, "icbc", date(2020, 10, 8)), pairing(A, "icbc", date(2020, 11, 3))),
        loans=(
            loan(A, "icbc", date(2020, 10, 30), "5", "L1"),
            loan(A, "icbc", date(2020, 11, 4), "7", "L2"),
        ),
    )
    assert rows(OCT, facts)[0].loan_amount_wan == Decimal(5)
    assert rows(NOV, facts)[0].loan_amount_wan == Decimal(7)


def test_no_decision_is_pending_and_a_grant_outranks_a_decline() -> None:
    pending = rows(OCT, Facts(pairings=(pairing(A, "icbc", date(2020, 10, 8)),)))
    assert pending[0].outcome is Outcome.PENDING
    both = Facts(
        pairings=(pairing(A, "icbc", date(2020, 10, 8)),),
        decisions=(
            declined(A, "icbc", date(2020, 10, 9), "other"),
            granted(A, "icbc", date(2020, 10, 19), "3"),
        ),
    )
    row = rows(OCT, both)[0]
    assert (row.outcome, row.problems) == (Outcome.GRANTED, "")


DAYS = st.dates(min_value=date(2020, 9, 1), max_value=date(2020, 12, 31))
PAIRS = st.sampled_from([(A, "icbc"), (A, "abc"), (B, "icbc")])


@st.composite
def histories(draw: st.DrawFn) -> Facts:
    pairings = [
        pairing(u, b, d, f"m{i}")
        for i, ((u, b), d) in enumerate(draw(st.lists(st.tuples(PAIRS, DAYS), max_size=8)))
    ]
    decisions = [
        granted(u, b, d, str(n)) if n % 2 else declined(u, b, d, "lack_of_collateral")
        for (u, b), d, n in draw(st.lists(st.tuples(PAIRS, DAYS, st.integers(1, 99)), max_size=6))
    ]
    loans = [
        loan(u, b, d, str(n), f"L{i}", rev=n % 5 == 0)
        for i, ((u, b), d, n) in enumerate(
            draw(st.lists(st.tuples(PAIRS, DAYS, st.integers(1, 99)), max_size=6))
        )
    ]
    return Facts(tuple(pairings), tuple(decisions), tuple(loans))


@given(histories(), st.randoms())
def test_rows_do_not_depend_on_the_order_of_facts(facts: Facts, random: Random) -> None:
    pairings, decisions, loans = list(facts.pairings), list(facts.decisions), list(facts.loans)
    random.shuffle(pairings)
    random.shuffle(decisions)
    random.shuffle(loans)
    other = Facts(tuple(pairings), tuple(decisions), tuple(loans))
    for month in (Month(2020, 9), OCT, NOV, Month(2020, 12)):
        assert rows(month, facts) == rows(month, other)


@given(histories())
def test_each_loan_after_a_pairing_is_in_exactly_one_month(facts: Facts) -> None:
    months = [Month(2020, m) for m in (9, 10, 11, 12)]
    reported = sum(sum((r.loan_amount_wan for r in rows(m, facts)), Decimal(0)) for m in months)
    first_pairing: dict[tuple[str, str], date] = {}
    for p in sorted(facts.pairings, key=lambda p: p.matched_on):
        first_pairing.setdefault(p.pair, p.matched_on)
    expected = sum(
        (
            x.amount_wan
            for x in facts.loans
            if not x.reversed and x.pair in first_pairing and x.issued_on >= first_pairing[x.pair]
        ),
        Decimal(0),
    )
    assert reported == expected
