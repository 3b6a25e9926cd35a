"""The demo's follow-through: acknowledgement, talk, circular and rectification played
against the real assessment service (served over HTTP on loopback), each step told in a line
and found in the escalation's story."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from console.demo.follow_through import follow_through
from console.tests.conftest import ServedAssessment

pytestmark = pytest.mark.integration

TALK_DAY = date(2021, 1, 5)


async def story_kinds(http: httpx.AsyncClient, url: str, escalation: dict[str, Any]) -> list[str]:
    story = (await http.get(f"{url}/escalations/{escalation['escalation_id']}")).json()["story"]
    return [step["kind"] for step in story]


async def test_the_demo_says_so_before_any_escalation_then_follows_through(
    assessment_served: ServedAssessment,
) -> None:
    url, headers = assessment_served.url, assessment_served.headers
    assert await follow_through(url, headers, TALK_DAY) == [
        "acknowledgement: no open escalation to acknowledge",
        "talk: no open talk-level escalation",
        "circular: no open circular-level escalation",
        "rectification: none to close (no talk was recorded)",
    ]
    async with httpx.AsyncClient(headers=headers) as http:
        # The campaign's last checkpoint: circulars for the units far under target, and talks
        # for the counties that held no matchmaking fair (none did).
        run = await http.post(f"{url}/assessments", json={"as_of": "2020-12-31"})
        assert run.is_success, run.text
        lines = await follow_through(url, headers, TALK_DAY)
        escalations = (await http.get(f"{url}/escalations", params={"status": "open"})).json()
        kinds = {e["escalation_id"]: await story_kinds(http, url, e) for e in escalations}
    assert len(lines) == 4, lines
    acknowledged, talk, circular, closed = lines
    assert acknowledged.startswith("acknowledged the ")
    assert talk.startswith("held a talk with ")
    assert "rectification due 2021-01-19" in talk
    assert closed.startswith("closed the rectification ")
    with_talk = [k for k in kinds.values() if "talk_held" in k]
    assert [k[-2:] for k in with_talk] == [["talk_held", "rectification_closed"]]
    assert sum("acknowledged" in k for k in kinds.values()) == 1
    assert circular.startswith("issued the circular on ")
    assert sum("circular_issued" in k for k in kinds.values()) == 1
