"""What matchmaking consumes: one registry per consumer, {event type: handler}."""

from __future__ import annotations

from matchmaking.handlers import Handlers
from shared.consumer import Registry
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.contracts.roster import EnterpriseDelisted, EnterpriseListed
from shared.service import Runtime
from shared.topics import ROSTER_EVENTS


def subscribe(runtime: Runtime, handlers: Handlers) -> None:
    runtime.subscribe(
        "roster",
        Registry(
            {
                EnterpriseListed: handlers.apply_listings,
                EnterpriseDelisted: handlers.apply_delistings,
            }
        ),
        topics=[ROSTER_EVENTS],
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
