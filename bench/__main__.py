"""`make bench`: how fast the counting rules, the consumers and the outbox go, on this machine.

Each benchmark prints what it measured; none of them is a pass/fail test. The ones that need
Kafka and PostgreSQL run in a namespace of their own and drop it afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal

from assessment.app import build as build_assessment
from assessment.domain.attainment import attainment
from assessment.domain.facts import ListingChange, Loan
from assessment.domain.first_loan import CampaignWindow, evaluate
from assessment.domain.history import Fact, facts_by_enterprise
from assessment.settings import AssessmentSettings
from shared.bus import operator_options
from shared.contracts.bank import LoanIssued
from shared.contracts.roster import EnterpriseListed
from shared.contracts.types import Guarantee
from shared.envelope import new_event, to_structured
from shared.outbox import Outbox, OutgoingRecord
from shared.provision import deprovision, provision
from shared.reference import load_reference
from shared.service import Runtime
from shared.testing import caught_up, sample_uscc
from shared.topics import ROSTER_EVENTS


def report(name: str, count: int, seconds: float, unit: str) -> None:
    print(f"{name:<58} {count:>8} {unit:<10} {seconds:8.2f} s {count / seconds:>10.0f} {unit}/s")


def bench_counting_rules(enterprises: int) -> None:
    reference = load_reference()
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
    report(
        "counting rules: evaluate + attainment (pure, one core)", enterprises, elapsed, "enterprise"
    )


async def bench_assessment_consumers(events: int) -> None:
    namespace = f"b{secrets.token_hex(4)}"
    await provision(namespace)
    try:
        settings = AssessmentSettings(
            namespace=namespace, run_checkpoints=False, clock_date=date(2020, 12, 31)
        )
        app = build_assessment(settings)
        runtime: Runtime = app.state.runtime
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(
            **operator_options(settings.kafka_bootstrap),
            acks="all",
            enable_idempotence=True,
            linger_ms=20,
        )
        await producer.start()
        half = events // 2
        sends = []
        for n in range(half):
            who = sample_uscc(n)
            listed = new_event(
                "EnterpriseListed",
                "urn:firstloan:roster",
                EnterpriseListed(
                    uscc=who,
                    name="企业",
                    county_code="140902",
                    listed_on=date(2020, 9, 2),
                ).model_dump(mode="json"),
            )
            loan = new_event(
                "LoanIssued",
                "urn:firstloan:institution:icbc",
                LoanIssued(
                    loan_id=f"L{n}",
                    institution_id="icbc",
                    uscc=who,
                    enterprise_name="企业",
                    amount_wan=Decimal("10"),
                    issued_on=date(2020, 10, 1),
                    first_loan_attested=True,
                    guarantee=Guarantee.CREDIT,
                ).model_dump(mode="json"),
            )
            for topic, event in (
                (settings.topic(ROSTER_EVENTS), listed),
                (settings.topic("bank.icbc.events"), loan),
            ):
                value, headers = to_structured(event)
                sends.append(await producer.send(topic, value, key=who.encode(), headers=headers))
        await asyncio.gather(*sends)
        await producer.stop()
        started = time.perf_counter()
        async with runtime.running():
            await _until(lambda: _assessed(settings))
        elapsed = time.perf_counter() - started
        report(
            "assessment: roster + bank events consumed (Kafka+PostgreSQL)",
            half * 2,
            elapsed,
            "event",
        )
    finally:
        await deprovision(namespace)


async def _assessed(settings: AssessmentSettings) -> bool:
    roster = await caught_up(
        settings.kafka_bootstrap,
        settings.topic("assessment.roster"),
        [settings.topic(ROSTER_EVENTS)],
    )
    bank = await caught_up(
        settings.kafka_bootstrap,
        settings.topic("assessment.bank"),
        [settings.topic("bank.icbc.events")],
    )
    return roster and bank


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(600):
        while not await check():  # noqa: ASYNC110 - polls progress made in Kafka
            await asyncio.sleep(0.2)


async def bench_outbox(records: int) -> None:
    namespace = f"b{secrets.token_hex(4)}"
    await provision(namespace)
    try:
        settings = AssessmentSettings(namespace=namespace)
        runtime: Runtime = build_assessment(settings).state.runtime
        outbox = Outbox(runtime.outbox.table)
        rows = [
            OutgoingRecord(settings.topic("assessment.escalations"), b"k", b"x" * 500)
            for _ in range(records)
        ]
        started = time.perf_counter()
        async with runtime.engine.begin() as connection:
            await outbox.add(connection, rows)
        written = time.perf_counter() - started
        report("outbox: rows written in one transaction", records, written, "row")
        started = time.perf_counter()
        while await runtime.relay.relay_once():
            pass
        elapsed = time.perf_counter() - started
        report("outbox relay: published in order, acks=all, idempotent", records, elapsed, "record")
        await runtime.engine.dispose()
    finally:
        await deprovision(namespace)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("faststream").setLevel(logging.ERROR)
    print("Benchmarks on this machine (2 cores); numbers, not verdicts.")
    bench_counting_rules(50_000)
    asyncio.run(bench_outbox(20_000))
    asyncio.run(bench_assessment_consumers(20_000))


if __name__ == "__main__":
    main()
