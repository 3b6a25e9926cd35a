"""What the ledger consumes, and which handler applies each type: one registry per consumer."""

from __future__ import annotations

from ledger.handlers import Handlers
from shared.consumer import Registry
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.contracts.matchmaking import EnterpriseMatched
from shared.contracts.roster import EnterpriseListed
from shared.service import Runtime
from shared.topics import MATCHMAKING_EVENTS, ROSTER_EVENTS


def subscribe(runtime: Runtime, handlers: Handlers) -> None:
    runtime.subscribe(
        "matchmaking",
        Registry({EnterpriseMatched: handlers.apply_pairings}),
        topics=[MATCHMAKING_EVENTS],
    )
    runtime.subscribe(
        "roster", Registry({EnterpriseListed: handlers.apply_listings}), topics=[ROSTER_EVENTS]
    )
    runtime.subscribe_bank_events(
        Registry(
            {
                CreditGranted: handlers.apply_credit_decisions,
                CreditDeclined: handlers.apply_credit_decisions,
                LoanIssued: handlers.apply_loans,
                LoanReversed: handlers.apply_reversals,
            }
        )
    )
