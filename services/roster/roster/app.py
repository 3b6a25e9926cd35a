"""Roster's composition root: the one place that wires settings, storage, bus and API."""

from __future__ import annotations

from fastapi import FastAPI

from roster import api, handlers, storage
from roster.domain.size_standard import load_size_standard
from roster.settings import RosterSettings
from shared.consumer import Registry
from shared.contracts.bank import BANK_EVENTS
from shared.service import Runtime, create_app
from shared.topics import MATCHMAKING_EVENTS


def build(settings: RosterSettings | None = None) -> FastAPI:
    settings = settings or RosterSettings()
    runtime = Runtime.create(settings, storage.metadata, store=lambda connection: connection)
    runtime.subscribe_bank_events(Registry(dict.fromkeys(BANK_EVENTS, handlers.apply_bank_events)))
    runtime.subscribe(
        "matchmaking",
        Registry(
            dict.fromkeys(handlers.MATCHMAKING_EVENTS_HANDLED, handlers.apply_matchmaking_events)
        ),
        topics=[MATCHMAKING_EVENTS],
    )
    app = create_app(
        runtime,
        [api.router],
        title="Firstloan roster",
        description=(
            "The cultivation list (培植名单): nominations one by one, in batches and as xlsx "
            "uploads; one file per enterprise (一企一档); assignments to banks; delisting; "
            "the published whitelist (白名单). USCCs are normalised (surrounding blanks "
            "removed, lower-case letters upper-cased) before they are checked."
        ),
    )
    app.state.size_standard = load_size_standard(settings.size_standard_file)
    return app
