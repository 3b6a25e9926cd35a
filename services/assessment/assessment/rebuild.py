"""`firstloan assessment rebuild`: recount everything from the input topics, from their
first record, into a scratch database, and compare with the live figures.

Facts are sets and outcomes are derived from them, so the rebuilt attainment must equal the
live one; a difference means an event was lost or counted twice. Escalations raised by
checkpoints run on demand are not in any topic and are not rebuilt.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from assessment.app import build
from assessment.domain.attainment import Attainment, attainment
from assessment.evaluation import keep_up_to_date
from assessment.settings import AssessmentSettings
from assessment.storage.outcomes import load_outcomes
from shared.migrations import upgrade
from shared.provision import ROOT, drop_database
from shared.replay import Progress, fresh_database, replay, unconsumed
from shared.service import Runtime


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


async def figures(runtime: Runtime, day: date) -> Attainment:
    async with runtime.engine.connect() as connection:
        outcomes = await load_outcomes(connection)
    return attainment(outcomes, runtime.reference(), day)


async def rebuild(settings: AssessmentSettings, progress: Progress = lambda *_: None) -> Rebuilt:
    scratch_settings = settings.model_copy(
        update={"database_override": f"{settings.database}_rebuild", "run_checkpoints": False}
    )
    scratch_app, live_app = build(scratch_settings), build(settings)
    scratch: Runtime = scratch_app.state.runtime
    live: Runtime = live_app.state.runtime
    now = scratch_app.state.now()
    try:
        await fresh_database(scratch)
        await asyncio.to_thread(
            upgrade, ROOT / "services" / "assessment", scratch_settings.database_url()
        )
        records = await replay(scratch, progress)
        for runtime in (scratch, live):
            async with runtime.transaction() as unit:
                await keep_up_to_date(unit, runtime.reference(), now, run_checkpoints=False)
        return Rebuilt(
            records,
            await figures(scratch, now.date()),
            await figures(live, now.date()),
            await unconsumed(live),
        )
    finally:
        await scratch.engine.dispose()
        await live.engine.dispose()
        await drop_database(scratch.settings)
