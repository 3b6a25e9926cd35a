"""What the roster consumes: one registry per consumer, {event type: handler}."""

from __future__ import annotations

from roster.handlers import Handlers
from shared.consumer import Registry
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.contracts.matchmaking import AttendanceRegistered, EnterpriseMatched
from shared.service import Runtime
from shared.topics import MATCHMAKING_EVENTS


def subscribe(runtime: Runtime, handlers: Handlers) -> None:
    # Credits are the other services' business: rule 1 looks at loans only.
    runtime.subscribe_bank_events(
        Registry({LoanIssued: handlers.apply_loans, LoanReversed: handlers.apply_reversals})
    )
    runtime.subscribe(
        "matchmaking",
        Registry(
            {
                EnterpriseMatched: handlers.apply_pairings,
                AttendanceRegistered: handlers.apply_attendance,
            }
        ),
        topics=[MATCHMAKING_EVENTS],
    )
