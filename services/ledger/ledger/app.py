"""Ledger's composition root: the one place that wires settings, storage, bus and API."""

from __future__ import annotations

from fastapi import FastAPI

from ledger import api, storage
from ledger.settings import LedgerSettings
from shared.service import Runtime, create_app


def build(settings: LedgerSettings | None = None) -> FastAPI:
    runtime = Runtime.create(settings or LedgerSettings(), storage.metadata)
    return create_app(
        runtime,
        [api.router],
        title="Firstloan ledger",
        description="The monthly work ledger in the official columns, deadlines.",
    )
