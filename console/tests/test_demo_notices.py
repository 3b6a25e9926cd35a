"""The demo's group robot: subscribed while the campaign plays, told of a checkpoint's
escalations by the real assessment service (served over HTTP on loopback), unsubscribed at
the end."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn

from assessment.app import build
from assessment.settings import AssessmentSettings
from console.demo.notices import ROBOT_PATH, with_group_robot
from console.demo.receiver import GroupRobot, free_port
from shared.access_testing import bearer_headers
from shared.testing import eventually

pytestmark = pytest.mark.integration


async def test_the_demo_robot_hears_the_campaigns_talks_and_circulars(
    private_namespace: str, tmp_path: Path
) -> None:
    settings = AssessmentSettings(
        namespace=private_namespace,
        clock_date=date(2020, 9, 15),
        run_checkpoints=False,
        notice_poll_seconds=0.2,
        http_port=free_port(),
    )
    server = uvicorn.Server(
        uvicorn.Config(build(settings), host="127.0.0.1", port=settings.http_port, log_config=None)
    )
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, within=60, what="assessment to listen")
    url = f"http://127.0.0.1:{settings.http_port}"
    headers = bearer_headers(settings)
    robot = GroupRobot(log=tmp_path / "notices.jsonl")

    async def play() -> int:
        async with httpx.AsyncClient(headers=headers) as http:
            run = await http.post(f"{url}/assessments", json={"as_of": "2020-09-30"})
            return len(run.json()["escalations"])

    try:
        escalated, told = await with_group_robot(robot, url, headers, play)
        async with httpx.AsyncClient(headers=headers) as http:
            subscriptions = (await http.get(f"{url}/subscriptions")).json()
    finally:
        server.should_exit = True
        await serving
    assert escalated > 1
    assert told.notices == 1
    [notice] = robot.posted_to(ROBOT_PATH)
    assert notice["markdown"]["content"].count("\n- **") == escalated
    [kept] = (tmp_path / "notices.jsonl").read_text().splitlines()
    assert json.loads(kept)["body"] == notice
    [subscription] = subscriptions
    assert subscription["subscription_id"] == told.subscription_id
    assert subscription["ended_at"] is not None
