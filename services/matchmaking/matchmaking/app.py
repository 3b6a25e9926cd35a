"""Matchmaking's composition root: the one place that wires settings, storage, bus and API."""

from __future__ import annotations

from fastapi import FastAPI

from matchmaking import api, asyncapi, handlers, storage
from matchmaking.settings import MatchmakingSettings
from shared.consumer import Registry
from shared.contracts.bank import BANK_EVENTS
from shared.service import Runtime, create_app
from shared.topics import ROSTER_EVENTS


def build(settings: MatchmakingSettings | None = None) -> FastAPI:
    runtime = Runtime.create(
        settings or MatchmakingSettings(), storage.metadata, store=lambda connection: connection
    )
    runtime.subscribe(
        "roster",
        Registry(dict.fromkeys(handlers.ROSTER_EVENTS_HANDLED, handlers.apply_roster_events)),
        topics=[ROSTER_EVENTS],
    )
    apply_bank_events = handlers.bank_events_applier(runtime.reference)
    runtime.subscribe_bank_events(Registry(dict.fromkeys(BANK_EVENTS, apply_bank_events)))
    return create_app(
        runtime,
        [api.router, asyncapi.router],
        title="Firstloan matchmaking",
        description="Fairs, attendance, bank-enterprise pairings (银企对接), cultivation plans "
        "(一企一策), first-loan products, outcomes in working days. Bank integrators: "
        "`/asyncapi` documents the bank topics.",
    )
