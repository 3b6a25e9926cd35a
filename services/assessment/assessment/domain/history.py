"""Grouping a flat history of facts into one `EnterpriseFacts` per enterprise.

A reversal names only (institution, loan id): it belongs to the enterprise of that loan, and
waits, unattached, until the loan itself is known.
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
    Reversal,
)

Fact = ListingChange | Assignment | Loan | Reversal


def facts_by_enterprise(history: Iterable[Fact]) -> dict[str, EnterpriseFacts]:
    changes: dict[str, set[ListingChange]] = defaultdict(set)
    assignments: dict[str, set[Assignment]] = defaultdict(set)
    loans: dict[str, set[Loan]] = defaultdict(set)
    reversals: dict[LoanKey, set[Reversal]] = defaultdict(set)
    for fact in history:
        if isinstance(fact, ListingChange):
            changes[fact.uscc].add(fact)
        elif isinstance(fact, Assignment):
            assignments[fact.uscc].add(fact)
        elif isinstance(fact, Loan):
            loans[fact.uscc].add(fact)
        else:
            reversals[fact.key].add(fact)
    usccs = changes.keys() | assignments.keys() | loans.keys()
    return {
        uscc: EnterpriseFacts(
            uscc=uscc,
            listing_changes=frozenset(changes[uscc]),
            loans=frozenset(loans[uscc]),
            reversals=frozenset(r for loan in loans[uscc] for r in reversals[loan.key]),
            assignments=frozenset(assignments[uscc]),
        )
        for uscc in usccs
    }
