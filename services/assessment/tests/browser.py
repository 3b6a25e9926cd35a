"""The dashboard served for real and read in a browser: uvicorn on a loopback port, and the
headless Chromium that Debian ships, driven by playwright."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from assessment.dashboard.feed import Broadcaster

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[3] / ".state" / "screenshots"

# A test that drives the browser: marked, and skipped where the browser or playwright is absent.
in_the_browser = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is absent: install Debian's chromium (deploy/bootstrap.sh does)",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="the playwright package is absent"
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serving(app: FastAPI, feed: Broadcaster | None = None) -> AsyncIterator[str]:
    """Run `app` (with its lifespan) under uvicorn in this event loop; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            pytest.fail("the server stopped while starting")
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        if feed is not None:
            feed.close()
        server.should_exit = True
        await task


def chromium_args(profile: Path) -> dict[str, Any]:
    return {
        "user_data_dir": str(profile),
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
        "viewport": {"width": 1440, "height": 900},
        "locale": "zh-CN",
    }
