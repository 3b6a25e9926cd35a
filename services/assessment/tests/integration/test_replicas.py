"""Three replicas of assessment in one consumer group, on six-partition topics, count what one
would: each enterprise's facts may reach any replica, in any order, and every replica's
batches move the same counts side by side."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pytest

from assessment.app import build
from assessment.domain.attainment import attainment, attainment_from
from assessment.domain.facts import ListingChange, Loan
from assessment.domain.first_loan import campaign_window, evaluate
from assessment.domain.history import Fact, facts_by_enterprise
from assessment.settings import AssessmentSettings
from assessment.storage import SqlStore
from bench.workload import FIRST_ISSUE_DAY, LISTED_ON, Record, Workload, publish
from shared.lag import KafkaLag
from shared.reference import load_reference
from shared.service import Runtime
from shared.testing import eventually, provisioned_namespace
from shared.topics import ROSTER_EVENTS

pytestmark = pytest.mark.integration

TODAY = date(2020, 12, 31)
ENTERPRISES, LOANS = 600, 1_500


def workload_facts(workload: Workload, loans: list[Record]) -> list[Fact]:
    """What the workload's records say, as the domain's facts."""
    facts: list[Fact] = [
        ListingChange(uscc, LISTED_ON, True, workload.counties[n % len(workload.counties)])
        for n, uscc in enumerate(workload.usccs)
    ]
    for n in range(len(loans)):
        facts.append(
            Loan(
                workload.banks[n % len(workload.banks)],
                f"BL{n}",
                workload.usccs[n % ENTERPRISES],
                FIRST_ISSUE_DAY + timedelta(days=n // ENTERPRISES),
                n < ENTERPRISES,
                "50.00",
                FIRST_ISSUE_DAY - timedelta(days=7),
                "credit",
                4.35,
            )
        )
    return facts


async def test_three_replicas_in_one_group_count_what_the_rules_count() -> None:
    async with provisioned_namespace(partitions=6) as namespace:
        settings = AssessmentSettings(
            namespace=namespace, run_checkpoints=False, clock_date=TODAY, consumer_batch_size=200
        )
        reference = load_reference()
        workload = Workload(settings, reference, ENTERPRISES)
        loans = workload.loans(LOANS)
        # Loans first: many reach a replica before their enterprise is listed.
        await publish(settings, [*loans, *workload.listings()])
        replicas: list[Runtime] = [build(settings).runtime for _ in range(3)]
        groups = {
            settings.topic("assessment.roster"): [settings.topic(ROSTER_EVENTS)],
            settings.topic("assessment.bank"): workload.bank_topics,
        }
        async with (
            contextlib.AsyncExitStack() as running,
            KafkaLag(settings.kafka_bootstrap) as lag,
        ):
            for replica in replicas:
                await running.enter_async_context(replica.running())

            async def consumed() -> bool:
                for group, topics in groups.items():
                    if await lag.behind(group, await lag.partitions(topics)):
                        return False
                # DescribeGroups v0: groups of (error, id, state, type, protocol, members).
                described = await lag.admin.describe_consumer_groups(
                    [settings.topic("assessment.bank")]
                )
                return len(described[0].groups[0][5]) == 3

            await eventually(consumed, within=180, what="three replicas consuming everything")
            async with replicas[0].engine.connect() as connection:
                store = SqlStore(connection)
                served = attainment_from(await store.counts.load(), reference, TODAY)
                recounted = attainment(await store.outcomes.load(), reference, TODAY)
        facts = facts_by_enterprise(workload_facts(workload, loans))
        expected = attainment(
            [evaluate(f, campaign_window(reference), TODAY) for f in facts.values()],
            reference,
            TODAY,
        )
        assert served == recounted == expected
        assert expected.first_loans == ENTERPRISES
