"""Process metrics in the Prometheus text format, served by every service at `/metrics`."""

from __future__ import annotations

from prometheus_client import Counter

BANK_EVENTS = Counter(
    "firstloan_bank_events",
    "Bank event records consumed, by consumer, institution and outcome.",
    ["consumer", "institution", "outcome"],
)
"""`outcome` is `accepted` or the rejection reason."""

DEAD_LETTERS = Counter(
    "firstloan_dead_letters",
    "Records sent to the dead-letter topic, by consumer and reason.",
    ["consumer", "reason"],
)
