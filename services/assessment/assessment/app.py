"""Assessment's composition root: the one place that wires settings, storage, bus and API."""

from __future__ import annotations

from fastapi import FastAPI

from assessment import api, handlers, storage
from assessment.settings import AssessmentSettings
from shared.consumer import accept_events
from shared.service import Runtime, create_app
from shared.topics import ROSTER_EVENTS


def build(settings: AssessmentSettings | None = None) -> FastAPI:
    runtime = Runtime.create(settings or AssessmentSettings(), storage.metadata)
    runtime.subscribe(
        "roster",
        accept_events(handlers.ROSTER_EVENTS_HANDLED),
        handlers.apply_roster_events,
        topics=[ROSTER_EVENTS],
    )
    return create_app(
        runtime,
        [api.router],
        title="Firstloan assessment",
        description="Live attainment per county and institution, checkpoints, escalations.",
    )
