"""Which events assessment consumes, and which handler applies each: one registry per
consumer."""

from __future__ import annotations

from assessment.handlers import Handlers
from shared.consumer import Registry
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.contracts.ledger import LedgerOverdue, LedgerSubmitted
from shared.contracts.matchmaking import EnterpriseMatched, FairScheduled
from shared.contracts.roster import EnterpriseAssigned, EnterpriseDelisted, EnterpriseListed
from shared.service import Runtime
from shared.topics import LEDGER_EVENTS, MATCHMAKING_EVENTS, ROSTER_EVENTS


def subscribe(runtime: Runtime, handlers: Handlers) -> None:
    runtime.subscribe(
        "roster",
        Registry(
            {
                EnterpriseListed: handlers.apply_roster_events,
                EnterpriseDelisted: handlers.apply_roster_events,
                EnterpriseAssigned: handlers.apply_roster_events,
            }
        ),
        topics=[ROSTER_EVENTS],
    )
    runtime.subscribe(
        "matchmaking",
        Registry({FairScheduled: handlers.apply_fairs, EnterpriseMatched: handlers.apply_pairings}),
        topics=[MATCHMAKING_EVENTS],
    )
    runtime.subscribe(
        "ledger",
        Registry(
            {
                LedgerOverdue: handlers.apply_ledger_events,
                LedgerSubmitted: handlers.apply_ledger_events,
            }
        ),
        topics=[LEDGER_EVENTS],
    )
    # Credits granted or declined move no count: the bank consumer reads only loans.
    runtime.subscribe_bank_events(
        Registry(
            {LoanIssued: handlers.apply_loans, LoanReversed: handlers.apply_loans},
            conflicting_duplicates=handlers.record_conflicting_duplicates,
        )
    )
