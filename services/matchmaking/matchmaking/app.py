"""Matchmaking's composition root: the one place that wires settings, clock, storage,
handlers, consumers and API."""

from __future__ import annotations

from matchmaking import api, asyncapi, consumers
from matchmaking.access import ACCESS
from matchmaking.handlers import Handlers
from matchmaking.settings import MatchmakingSettings
from matchmaking.storage import SqlStore, metadata
from shared.clock import platform_clock
from shared.service import Runtime, Service, create_app


def build(settings: MatchmakingSettings | None = None) -> Service[Handlers]:
    settings = settings or MatchmakingSettings()
    runtime = Runtime.create(settings, metadata, store=SqlStore)
    clock = platform_clock(settings, runtime.campaigns().zone)
    handlers = Handlers(runtime.campaigns, clock)
    consumers.subscribe(runtime, handlers)
    app = create_app(
        runtime,
        [api.router, asyncapi.router],
        title="Firstloan matchmaking",
        access=ACCESS,
        description="Fairs, attendance, bank-enterprise pairings (银企对接), cultivation plans "
        "(一企一策), first-loan products, outcomes in working days. Bank integrators and "
        "consumers of the platform's events: `/asyncapi` documents the topics.",
    )
    return Service(app, runtime, handlers, clock)
