"""`firstloan assessment rebuild`: recount everything from the input topics, from their
first record, into a scratch database, and compare with the live figures.

Facts are sets and outcomes are derived from them, so the rebuilt attainment, counted from
scratch, must equal the live one, kept up to date batch by batch; a difference means an event
was lost or counted twice, or a count drifted. Escalations raised by
checkpoints run on demand are not in any topic and are not rebuilt.
"""

from __future__ import annotations

import asyncio
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
class Rebuilt:
    records: int
    rebuilt: Attainment
    live: Attainment
    live_behind: int
    """Records the live service had not yet consumed when the figures were compared."""

    @property
    def equal(self) -> bool:
        return self.rebuilt == self.live


async def counted_afresh(runtime: Runtime, day: date) -> Attainment:
    """Every stored outcome counted from scratch."""
    async with runtime.engine.connect() as connection:
        outcomes = await SqlStore(connection).outcomes.load()
    return attainment(outcomes, runtime.reference(), day)


async def served(runtime: Runtime, day: date) -> Attainment:
    """The figures the service serves: its counts, kept up to date batch by batch."""
    async with runtime.engine.connect() as connection:
        counts = await SqlStore(connection).counts.load()
    return attainment_from(counts, runtime.reference(), day)


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
