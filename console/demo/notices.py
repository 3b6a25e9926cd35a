"""The demo's subscriber: a group robot on loopback subscribed to the campaign's talks and
circulars while the campaign plays, so that the notices a supervisor's group would get are
seen arriving (and kept, one JSON line each, beside the demo's other files)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx

from console.demo.receiver import GroupRobot

T = TypeVar("T")
ROBOT_PATH = "/cgi-bin/webhook/send"


@dataclass(frozen=True)
class Told:
    notices: int  # bodies the robot took
    subscription_id: str


async def with_group_robot(
    robot: GroupRobot,
    assessment_url: str,
    headers: dict[str, str],
    play: Callable[[], Awaitable[T]],
    settle_seconds: float = 20.0,
) -> tuple[T, Told]:
    """Run `play` with `robot` up and subscribed (talks and circulars, every unit); then
    wait (up to `settle_seconds`) for the notices still pending, and end the subscription,
    so that no notice waits for a robot that is gone."""
    async with robot.up(), httpx.AsyncClient(headers=headers, timeout=30) as http:
        answer = await http.post(
            f"{assessment_url}/subscriptions",
            json={"channel": "webhook", "target": robot.url(ROBOT_PATH), "min_severity": "talk"},
        )
        answer.raise_for_status()
        subscription_id: str = answer.json()["subscription_id"]
        result = await play()
        deadline = asyncio.get_running_loop().time() + settle_seconds
        while asyncio.get_running_loop().time() < deadline:
            pending = await http.get(
                f"{assessment_url}/deliveries",
                params={"subscription_id": subscription_id, "status": "pending"},
            )
            if pending.is_success and not pending.json():
                break
            await asyncio.sleep(0.5)
        await http.delete(f"{assessment_url}/subscriptions/{subscription_id}")
    return result, Told(len(robot.posted_to(ROBOT_PATH)), subscription_id)
