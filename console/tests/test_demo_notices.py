"""The demo's group robot: subscribed while the campaign plays, told of a checkpoint's
escalations by the real assessment service (served over HTTP on loopback), unsubscribed at
the end."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from console.demo.notices import ROBOT_PATH, with_group_robot
from console.demo.receiver import GroupRobot
from console.tests.conftest import ServedAssessment

pytestmark = pytest.mark.integration


async def test_the_demo_robot_hears_the_campaigns_talks_and_circulars(
    assessment_served: ServedAssessment, tmp_path: Path
) -> None:
    url, headers = assessment_served.url, assessment_served.headers
    robot = GroupRobot(log=tmp_path / "notices.jsonl")

    async def play() -> int:
        async with httpx.AsyncClient(headers=headers) as http:
            run = await http.post(f"{url}/assessments", json={"as_of": "2020-09-30"})
            return len(run.json()["escalations"])

    escalated, told = await with_group_robot(robot, url, headers, play)
    async with httpx.AsyncClient(headers=headers) as http:
        subscriptions = (await http.get(f"{url}/subscriptions")).json()
    assert escalated > 1
    assert told.notices == 1
    [notice] = robot.posted_to(ROBOT_PATH)
    assert notice["markdown"]["content"].count("\n- **") == escalated
    [kept] = (tmp_path / "notices.jsonl").read_text().splitlines()
    assert json.loads(kept)["body"] == notice
    [subscription] = subscriptions
    assert subscription["subscription_id"] == told.subscription_id
    assert subscription["ended_at"] is not None
