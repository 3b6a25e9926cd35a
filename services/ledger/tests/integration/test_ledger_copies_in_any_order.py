"""Copies of one fact that differ (a loan resent with another date or amount, a reversal
resent, a credit granted twice under one id, an enterprise listed twice, a pairing resent)
keep the same copy in PostgreSQL whatever order and batches they arrive in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from itertools import permutations
from typing import Any

import pytest
from sqlalchemy import select

import ledger.app
from ledger.domain.facts import CreditDecision, ListedEnterprise, Loan, Pairing, Reversal
from ledger.storage import SqlStore
from ledger.storage.tables import enterprises, loan_reversals
from shared.service import Runtime

from .ledger_fixtures import MovableClock, new_uscc, settings_for, shanghai

pytestmark = pytest.mark.integration


def loan(uscc: str, on: str, amount: str) -> Loan:
    return Loan("icbc", f"L-{uscc}", uscc, date.fromisoformat(on), Decimal(amount), "甲公司")


def reversal(uscc: str, on: str, reason: str) -> Reversal:
    return Reversal("icbc", f"L-{uscc}", date.fromisoformat(on), reason)


def grant(uscc: str, on: str, guarantor: str | None) -> CreditDecision:
    return CreditDecision(
        decision_id=f"C-{uscc}",
        institution_id="icbc",
        uscc=uscc,
        decided_on=date.fromisoformat(on),
        granted=True,
        enterprise_name="甲公司",
        amount_wan=Decimal("100.00"),
        guarantee="third_party",
        guarantor=guarantor,
    )


def listing(uscc: str, on: str, name: str, county: str = "140921") -> ListedEnterprise:
    return ListedEnterprise(uscc, name, county, date.fromisoformat(on))


def pairing(uscc: str, on: str, name: str | None) -> Pairing:
    return Pairing(f"M-{uscc}", uscc, "icbc", date.fromisoformat(on), "fair", "140921", name)


def orders(copies: Sequence[Any]) -> list[list[list[Any]]]:
    """Every order, each copy in its own transaction; and all of them in one."""
    return [[[c] for c in order] for order in permutations(copies)] + [[list(copies)]]


async def stored(runtime: Runtime, uscc: str) -> tuple[Any, ...]:
    async with runtime.engine.connect() as connection:
        facts = await SqlStore(connection).facts.facts_of([(uscc, "icbc")])
        reversals = await connection.execute(
            select(loan_reversals.c.reversed_on, loan_reversals.c.reason).where(
                loan_reversals.c.loan_id == f"L-{uscc}"
            )
        )
        listings = await connection.execute(
            select(enterprises.c.listed_on, enterprises.c.name, enterprises.c.county_code).where(
                enterprises.c.uscc == uscc
            )
        )
        return facts.loans, facts.decisions, facts.pairings, list(reversals), list(listings)


async def test_copies_keep_the_same_copy_in_any_order(private_namespace: str) -> None:
    app = ledger.app.build(
        settings_for(private_namespace), clock=MovableClock(shanghai(2020, 11, 5))
    )
    runtime = app.runtime

    def copies_of(uscc: str) -> list[tuple[str, Any]]:
        return [
            ("loans", loan(uscc, "2020-10-20", "80.00")),
            ("loans", loan(uscc, "2020-10-18", "60.00")),
            ("loans", loan(uscc, "2020-10-18", "50.00")),
            ("reversals", reversal(uscc, "2020-10-25", "录入错误")),
            ("reversals", reversal(uscc, "2020-10-22", "重复发放")),
            ("decisions", grant(uscc, "2020-10-15", "忻州担保")),
            ("decisions", grant(uscc, "2020-10-15", None)),
            ("enterprises", listing(uscc, "2020-09-20", "乙名", "140902")),
            ("enterprises", listing(uscc, "2020-09-05", "定襄甲有限公司")),
            ("enterprises", listing(uscc, "2020-09-05", "定襄甲公司")),
            ("pairings", pairing(uscc, "2020-10-12", "甲")),
            ("pairings", pairing(uscc, "2020-10-12", None)),
        ]

    async def apply(uscc: str, transactions: list[list[tuple[str, Any]]]) -> tuple[Any, ...]:
        for batch in transactions:
            async with runtime.transaction() as uow:
                facts = uow.store.facts
                save = {
                    "loans": facts.save_loans,
                    "reversals": facts.save_reversals,
                    "decisions": facts.save_decisions,
                    "enterprises": facts.save_enterprises,
                    "pairings": facts.save_pairings,
                }
                for kind, method in save.items():
                    await method([fact for k, fact in batch if k == kind])
        return await stored(runtime, uscc)

    # Each kind's copies in every order (the other kinds in their listed order), with fresh
    # ids per order, must give what the listed order gives.
    kinds = ["loans", "reversals", "decisions", "enterprises", "pairings"]
    seen: set[str] = set()
    for kind in kinds:
        count = sum(1 for k, _ in copies_of("any") if k == kind)
        for transactions in orders(range(count)):
            uscc = new_uscc()
            copies = copies_of(uscc)
            mine = [c for c in copies if c[0] == kind]
            others = [[c] for c in copies if c[0] != kind]
            ordered = [[mine[i] for i in batch] for batch in transactions]
            loans, decisions, pairings, reversals, listings = await apply(uscc, others + ordered)
            assert [(x.issued_on, x.amount_wan, x.reversed) for x in loans] == [
                (date(2020, 10, 18), Decimal("50.00"), True)
            ]
            assert [tuple(r) for r in reversals] == [(date(2020, 10, 22), "重复发放")]
            assert [d.guarantor for d in decisions] == [None]
            assert [tuple(r) for r in listings] == [(date(2020, 9, 5), "定襄甲公司", "140921")]
            assert [p.enterprise_name for p in pairings] == [None]
            seen.add(kind)
    assert seen == set(kinds)
    await runtime.engine.dispose()
