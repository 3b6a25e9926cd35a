"""Assessment's composition root: the one place that wires settings, storage, bus and API."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from assessment import api, dashboard, storage
from assessment.clock import clock
from assessment.evaluation import keep_up_to_date
from assessment.handlers import (
    LEDGER_EVENTS_HANDLED,
    MATCHMAKING_EVENTS_HANDLED,
    ROSTER_EVENTS_HANDLED,
    Handlers,
)
from assessment.settings import AssessmentSettings
from shared.cancellation import raise_if_cancelling
from shared.consumer import Registry
from shared.contracts.bank import BANK_EVENTS
from shared.service import Runtime, create_app
from shared.topics import LEDGER_EVENTS, MATCHMAKING_EVENTS, ROSTER_EVENTS

log = logging.getLogger(__name__)


def build(settings: AssessmentSettings | None = None) -> FastAPI:
    settings = settings or AssessmentSettings()
    runtime = Runtime.create(settings, storage.metadata, store=lambda connection: connection)
    now = clock(settings, runtime.reference)
    handlers = Handlers(runtime.reference, now)
    runtime.subscribe(
        "roster",
        Registry(dict.fromkeys(ROSTER_EVENTS_HANDLED, handlers.apply_roster_events)),
        topics=[ROSTER_EVENTS],
    )
    runtime.subscribe(
        "matchmaking",
        Registry(dict.fromkeys(MATCHMAKING_EVENTS_HANDLED, handlers.apply_matchmaking_events)),
        topics=[MATCHMAKING_EVENTS],
    )
    runtime.subscribe(
        "ledger",
        Registry(dict.fromkeys(LEDGER_EVENTS_HANDLED, handlers.apply_ledger_events)),
        topics=[LEDGER_EVENTS],
    )
    runtime.subscribe_bank_events(Registry(dict.fromkeys(BANK_EVENTS, handlers.apply_bank_events)))

    async def tick() -> None:
        while True:
            raise_if_cancelling()
            try:
                async with runtime.transaction() as unit:
                    await keep_up_to_date(
                        unit, runtime.reference(), now(), settings.run_checkpoints
                    )
            except Exception:
                raise_if_cancelling()
                log.exception("the daily assessment tick failed; retrying at the next tick")
            await asyncio.sleep(settings.tick_seconds)

    runtime.run_in_background("assessment-tick", tick)
    app = create_app(
        runtime,
        [api.router],
        title="Firstloan assessment",
        description="Live attainment per county and institution, checkpoints, escalations.",
    )
    app.state.now = now
    dashboard.mount(app, runtime)
    return app
