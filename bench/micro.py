"""Small measurements: the pure counting rules on one core, and the outbox relay."""

from __future__ import annotations

import random
import secrets
import time
from datetime import date, timedelta

from assessment.app import build as build_assessment
from assessment.domain.attainment import attainment
from assessment.domain.facts import ListingChange, Loan
from assessment.domain.first_loan import CampaignWindow, evaluate
from assessment.domain.history import Fact, facts_by_enterprise
from assessment.settings import AssessmentSettings
from shared.campaigns import load_campaigns
from shared.outbox import Outbox, OutgoingRecord
from shared.provision import deprovision, provision
from shared.service import Runtime
from shared.testing import sample_uscc


def counting_rules(enterprises: int) -> float:
    """Enterprises evaluated and counted per second, pure Python on one core."""
    reference = load_campaigns().sole()
    counties = [c.code for c in reference.counties]
    banks = [i.id for i in reference.institutions]
    rng = random.Random(1)
    history: list[Fact] = []
    for n in range(enterprises):
        who = sample_uscc(n)
        history.append(ListingChange(who, date(2020, 9, 1 + n % 10), True, rng.choice(counties)))
        history.append(
            Loan(rng.choice(banks), f"L{n}", who, date(2020, 9, 15) + timedelta(days=n % 90), True)
        )
        if n % 7 == 0:
            history.append(Loan(rng.choice(banks), f"P{n}", who, date(2018, 5, 1), False))
    window = CampaignWindow(reference.campaign.start, reference.campaign.end, 5)
    started = time.perf_counter()
    grouped = facts_by_enterprise(history)
    outcomes = [evaluate(f, window, date(2020, 12, 31)) for f in grouped.values()]
    result = attainment(outcomes, reference, date(2020, 12, 31))
    elapsed = time.perf_counter() - started
    assert result.cultivated == enterprises
    return enterprises / elapsed


async def outbox(records: int) -> tuple[float, float]:
    """(rows written per second, records relayed per second)."""
    namespace = f"b{secrets.token_hex(4)}"
    await provision(namespace)
    try:
        settings = AssessmentSettings(namespace=namespace)
        runtime: Runtime = build_assessment(settings).runtime
        outbox = Outbox(runtime.outbox.table)
        rows = [
            OutgoingRecord(settings.topic("assessment.escalations"), b"k", b"x" * 500)
            for _ in range(records)
        ]
        started = time.perf_counter()
        async with runtime.engine.begin() as connection:
            await outbox.add(connection, rows)
        written = time.perf_counter() - started
        started = time.perf_counter()
        while await runtime.relay.relay_once():
            pass
        elapsed = time.perf_counter() - started
        await runtime.engine.dispose()
        return records / written, records / elapsed
    finally:
        await deprovision(namespace)
