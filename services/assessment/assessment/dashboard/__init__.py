"""The supervisors' dashboard (监测看板), served by the assessment service at `/`: plain
HTML, CSS and ES modules from `static/` (no build step, nothing from the internet), the
routes the pages read, and the live feed of escalations and attainment."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from assessment.dashboard.feed import Broadcaster, subscribe_feed
from assessment.dashboard.routes import STATIC, router
from shared.service import Runtime


def mount(app: FastAPI, runtime: Runtime) -> Broadcaster:
    """Add the pages, their assets and the feed to the service's app (before it starts);
    the feed."""
    broadcaster = Broadcaster()
    subscribe_feed(runtime, broadcaster)

    async def close_streams_on_stop() -> None:
        # Open event streams would otherwise hold the server's shutdown until its timeout.
        try:
            await asyncio.Event().wait()
        finally:
            broadcaster.close()

    runtime.run_in_background("dashboard-feed", close_streams_on_stop)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="dashboard-static")
    return broadcaster


__all__ = ["mount"]
