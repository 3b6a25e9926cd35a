"""The real assessment service, served over HTTP on loopback for a demo step to talk to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import pytest
import uvicorn

from assessment.app import build
from assessment.settings import AssessmentSettings
from console.demo.receiver import free_port
from shared.access_testing import bearer_headers
from shared.testing import eventually


@dataclass(frozen=True)
class ServedAssessment:
    url: str
    headers: dict[str, str]  # a central supervisor's


@pytest.fixture
async def assessment_served(private_namespace: str) -> AsyncIterator[ServedAssessment]:
    """Assessment on the campaign's 15th day, with no checkpoint run unless a test runs one."""
    settings = AssessmentSettings(
        namespace=private_namespace,
        clock_date=date(2020, 9, 15),
        run_checkpoints=False,
        notice_poll_seconds=0.2,
        http_port=free_port(),
        webhook_allow="127.0.0.1",  # the demo's group robot, as the demo allows it
    )
    server = uvicorn.Server(
        uvicorn.Config(
            build(settings).app, host="127.0.0.1", port=settings.http_port, log_config=None
        )
    )
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    try:
        await eventually(started, within=60, what="assessment to listen")
        yield ServedAssessment(f"http://127.0.0.1:{settings.http_port}", bearer_headers(settings))
    finally:
        server.should_exit = True
        await serving
