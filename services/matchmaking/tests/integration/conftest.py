"""The started matchmaking app of the integration tests: on the session's namespace, with
short consumer and outbox intervals so that tests need not wait."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

import matchmaking.app
from matchmaking.settings import MatchmakingSettings
from shared.service import Service


@contextlib.asynccontextmanager
async def started_app(namespace: str) -> AsyncIterator[Service[Any]]:
    settings = MatchmakingSettings(
        namespace=namespace, consumer_batch_timeout_ms=50, outbox_poll_seconds=0.1
    )
    application = matchmaking.app.build(settings)
    async with application.running():
        yield application


@pytest.fixture
async def app(namespace: str) -> AsyncIterator[Service[Any]]:
    async with started_app(namespace) as application:
        yield application


@pytest.fixture(scope="module")
async def started(namespace: str) -> AsyncIterator[Service[Any]]:
    """One started app for a whole module (the generated access cases are many)."""
    async with started_app(namespace) as application:
        yield application
