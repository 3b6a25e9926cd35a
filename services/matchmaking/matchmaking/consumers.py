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
                EnterpriseListed: handlers.listings,
                EnterpriseDelisted: handlers.delistings,
            }
        ),
        topics=[ROSTER_EVENTS],
    )
    runtime.subscribe_bank_events(
        Registry(
            {
                CreditGranted: handlers.bank_outcomes,
                CreditDeclined: handlers.bank_outcomes,
                LoanIssued: handlers.bank_outcomes,
                LoanReversed: handlers.loan_reversals,
            }
        )
    )
