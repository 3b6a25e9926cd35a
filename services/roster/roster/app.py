"""Roster's composition root: the one place that wires settings, storage, bus and API."""

from __future__ import annotations

from fastapi import FastAPI

from roster import api, storage
from roster.settings import RosterSettings
from shared.service import Runtime, create_app


def build(settings: RosterSettings | None = None) -> FastAPI:
    runtime = Runtime.create(settings or RosterSettings(), storage.metadata)
    return create_app(
        runtime,
        [api.router],
        title="Firstloan roster",
        description=(
            "The cultivation list: nominations, one file per enterprise, assignments, "
            "the whitelist."
        ),
    )
