"""Grouping a flat history of facts into one `EnterpriseFacts` per enterprise.

A reversal names only (institution, loan id): it belongs to the enterprise of that loan, and
waits, unattached, until the loan itself is known. Each loan is one copy (`counted_copy`)
with at most one reversal, the earliest, however many copies arrived: as storage keeps them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from assessment.domain.facts import (
    Assignment,
    EnterpriseFacts,
    ListingChange,
    Loan,
    LoanKey,
    Pairing,
    Reversal,
    counted_copy,
)

Fact = ListingChange | Assignment | Pairing | Loan | Reversal


def facts_by_enterprise(history: Iterable[Fact]) -> dict[str, EnterpriseFacts]:
    changes: dict[str, set[ListingChange]] = defaultdict(set)
    assignments: dict[str, set[Assignment]] = defaultdict(set)
    pairings: dict[str, set[Pairing]] = defaultdict(set)
    copies: dict[LoanKey, set[Loan]] = defaultdict(set)
    reversals: dict[LoanKey, Reversal] = {}
    for fact in history:
        if isinstance(fact, ListingChange):
            changes[fact.uscc].add(fact)
        elif isinstance(fact, Assignment):
            assignments[fact.uscc].add(fact)
        elif isinstance(fact, Pairing):
            pairings[fact.uscc].add(fact)
        elif isinstance(fact, Loan):
            copies[fact.key].add(fact)
        elif fact.key not in reversals or fact.reversed_on < reversals[fact.key].reversed_on:
            reversals[fact.key] = fact
    loans: dict[str, set[Loan]] = defaultdict(set)
    for same_loan in copies.values():
        loan = counted_copy(same_loan)
        loans[loan.uscc].add(loan)
    usccs = changes.keys() | assignments.keys() | pairings.keys() | loans.keys()
    return {
        uscc: EnterpriseFacts(
            uscc=uscc,
            listing_changes=frozenset(changes[uscc]),
            loans=frozenset(loans[uscc]),
            reversals=frozenset(
                reversals[loan.key] for loan in loans[uscc] if loan.key in reversals
            ),
            assignments=frozenset(assignments[uscc]),
            pairings=frozenset(pairings[uscc]),
        )
        for uscc in usccs
    }


def conflicting_loans(history: Iterable[Fact]) -> set[LoanKey]:
    """The loans reported more than once with different content."""
    copies: dict[LoanKey, set[Loan]] = defaultdict(set)
    for fact in history:
        if isinstance(fact, Loan):
            copies[fact.key].add(fact)
    return {key for key, same_loan in copies.items() if len(same_loan) > 1}
