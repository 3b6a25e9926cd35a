"""Matchmaking's composition root: the one place that wires settings, storage, bus and API."""

from __future__ import annotations

from fastapi import FastAPI

from matchmaking import api, storage
from matchmaking.settings import MatchmakingSettings
from shared.service import Runtime, create_app


def build(settings: MatchmakingSettings | None = None) -> FastAPI:
    runtime = Runtime.create(settings or MatchmakingSettings(), storage.metadata)
    return create_app(
        runtime,
        [api.router],
        title="Firstloan matchmaking",
        description="Fairs, attendance, bank-enterprise pairings, cultivation plans.",
    )
