"""`firstloan assessment rebuild`: recount everything from the input topics, from their
first record, into a scratch database, and compare with the live figures of every campaign.

Facts are sets and outcomes are derived from them, so the rebuilt attainment, counted from
scratch, must equal the live one, kept up to date batch by batch; a difference means an event
was lost or counted twice, or a count drifted. Escalations raised by
checkpoints run on demand are not in any topic and are not rebuilt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from assessment.app import AssessmentService, build
from assessment.commands import KeepUpToDate
from assessment.domain.attainment import Attainment, attainment, attainment_from
from assessment.settings import AssessmentSettings
from assessment.storage import SqlStore
from shared.migrations import upgrade
from shared.provision import ROOT, drop_database
from shared.replay import Progress, fresh_database, replay, unconsumed
from shared.service import Runtime

# Records per transaction in a replay: its consumers store facts alone, so that a larger
# batch costs no more per record and saves round trips.
REPLAY_BATCH = 5_000


@dataclass(frozen=True)
class Recount:
    """Every campaign's attainment on one day, by campaign id, and their totals."""

    by_campaign: Mapping[str, Attainment]

    @property
    def cultivated(self) -> int:
        return sum(a.cultivated for a in self.by_campaign.values())

    @property
    def first_loans(self) -> int:
        return sum(a.first_loans for a in self.by_campaign.values())


@dataclass(frozen=True)
class Rebuilt:
    records: int
    rebuilt: Recount
    live: Recount
    live_behind: int
    """Records the live service had not yet consumed when the figures were compared."""

    @property
    def differing(self) -> list[str]:
        """The campaigns whose rebuilt figures differ from the live ones."""
        ids = sorted(self.rebuilt.by_campaign.keys() | self.live.by_campaign.keys())
        return [c for c in ids if self.rebuilt.by_campaign.get(c) != self.live.by_campaign.get(c)]

    @property
    def equal(self) -> bool:
        return not self.differing


async def counted_afresh(runtime: Runtime, day: date) -> Recount:
    """Every campaign's stored outcomes counted from scratch."""
    found: dict[str, Attainment] = {}
    async with runtime.engine.connect() as connection:
        store = SqlStore(connection)
        for reference in runtime.campaigns().campaigns:
            outcomes = await store.outcomes.load(reference.campaign.id)
            found[reference.campaign.id] = attainment(outcomes, reference, day)
    return Recount(found)


async def served(runtime: Runtime, day: date) -> Recount:
    """The figures the service serves for every campaign: its counts, kept up to date batch
    by batch."""
    found: dict[str, Attainment] = {}
    async with runtime.engine.connect() as connection:
        store = SqlStore(connection)
        for reference in runtime.campaigns().campaigns:
            counts = await store.counts.load(reference.campaign.id)
            found[reference.campaign.id] = attainment_from(counts, reference, day)
    return Recount(found)


async def bring_up_to_date(service: AssessmentService) -> None:
    async with service.runtime.transaction() as uow:
        await service.handlers.keep_up_to_date(uow, KeepUpToDate(run_checkpoints=False))


async def rebuild(settings: AssessmentSettings, progress: Progress = lambda *_: None) -> Rebuilt:
    scratch_settings = settings.model_copy(
        update={
            "database_override": f"{settings.database}_rebuild",
            "run_checkpoints": False,
            "evaluate_each_batch": False,
            "consumer_batch_size": max(settings.consumer_batch_size, REPLAY_BATCH),
        }
    )
    scratch_service, live_service = build(scratch_settings), build(settings)
    scratch, live = scratch_service.runtime, live_service.runtime
    now = scratch_service.clock()
    try:
        await fresh_database(scratch)
        await asyncio.to_thread(
            upgrade, ROOT / "services" / "assessment", scratch_settings.database_url()
        )
        records = await replay(scratch, progress)
        for service in (scratch_service, live_service):
            await bring_up_to_date(service)
        return Rebuilt(
            records,
            await counted_afresh(scratch, now.date()),
            await served(live, now.date()),
            await unconsumed(live),
        )
    finally:
        await scratch.engine.dispose()
        await live.engine.dispose()
        await drop_database(scratch.settings)
