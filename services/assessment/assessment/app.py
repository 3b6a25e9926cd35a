"""Assessment's composition root: the one place that wires settings, clock, storage,
handlers, consumers, the daily tick and the API."""

from __future__ import annotations

from fastapi import FastAPI

from assessment import api, consumers, dashboard, storage
from assessment.access import ACCESS
from assessment.clock import clock
from assessment.commands import KeepUpToDate
from assessment.handlers import Handlers
from assessment.settings import AssessmentSettings
from shared.service import Runtime, create_app


def build(settings: AssessmentSettings | None = None) -> FastAPI:
    settings = settings or AssessmentSettings()
    runtime = Runtime.create(settings, storage.metadata, store=storage.SqlStore)
    now = clock(settings, runtime.reference)
    handlers = Handlers(runtime.reference, now, settings.evaluate_each_batch)
    consumers.subscribe(runtime, handlers)
    tick = KeepUpToDate(run_checkpoints=settings.run_checkpoints)

    async def keep_up_to_date() -> None:
        async with runtime.transaction() as uow:
            await handlers.keep_up_to_date(uow, tick)

    runtime.run_every("assessment-tick", settings.tick_seconds, keep_up_to_date)
    app = create_app(
        runtime,
        [api.router],
        title="Firstloan assessment",
        description="Live attainment per county and institution, checkpoints, escalations.",
        access=ACCESS,
    )
    app.state.now = now
    app.state.handlers = handlers
    dashboard.mount(app, runtime)
    return app
