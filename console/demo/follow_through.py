"""What a supervisor does about the campaign's escalations, played through the assessment
service's API once the campaign is over: acknowledge one, hold a talk (约谈) with a
rectification (整改) commitment, issue a circular (通报) as drafted, close the rectification.
Each step says what it did, or why it could not (no escalation of that level, a refusal).
With several campaigns known, it is played for each (`campaign`): every call names it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

RECTIFICATION_DAYS = 14


def first_of(escalations: list[dict[str, Any]], severity: str | None) -> dict[str, Any] | None:
    """The first open escalation of `severity` (any, for None), the same one on every run."""
    chosen = [e for e in escalations if severity is None or e["severity"] == severity]
    return min(chosen, key=lambda e: (e["as_of"], e["unit_id"], e["reason"]), default=None)


def refused(what: str, response: httpx.Response) -> str:
    return f"{what}: refused, HTTP {response.status_code} {response.text[:200]}"


async def post_step(
    http: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    what: str,
    done: str,
    campaign: str | None = None,
) -> tuple[httpx.Response, str]:
    """Post one step; its answer and the line that tells it (`done`, or the refusal)."""
    answer = await http.post(url, json=body, params=_naming(campaign))
    return answer, done if answer.is_success else refused(what, answer)


def _naming(campaign: str | None) -> dict[str, str]:
    return {"campaign": campaign} if campaign else {}


async def follow_through(
    assessment_url: str, headers: dict[str, str], on: date, campaign: str | None = None
) -> list[str]:
    """One line per step, in the order done; `on` is the day of the talk. `campaign`: the
    campaign whose escalations are followed through (None: the one the platform has)."""
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        return await steps(http, assessment_url, on, campaign)


async def steps(
    http: httpx.AsyncClient, assessment_url: str, on: date, campaign: str | None = None
) -> list[str]:
    listed = await http.get(
        f"{assessment_url}/escalations", params={"status": "open"} | _naming(campaign)
    )
    if not listed.is_success:
        return [refused("open escalations", listed)]
    escalations: list[dict[str, Any]] = [
        # Each campaign's own, whether or not the list was narrowed to it.
        e
        for e in listed.json()
        if campaign is None or e.get("campaign_id", campaign) == campaign
    ]
    lines: list[str] = []

    acknowledged = first_of(escalations, None)
    if acknowledged is None:
        lines.append("acknowledgement: no open escalation to acknowledge")
    else:
        _, line = await post_step(
            http,
            f"{assessment_url}/escalations/{acknowledged['escalation_id']}/acknowledgement",
            {"note": "已收悉，督促落实首贷培植工作。"},
            "acknowledgement",
            f"acknowledged the {acknowledged['severity']} of {acknowledged['unit_id']} "
            f"({acknowledged['reason']})",
            campaign,
        )
        lines.append(line)

    rectification_id: str | None = None  # the talk's commitment, closed below
    talk = first_of(escalations, "talk")
    if talk is None:
        lines.append("talk: no open talk-level escalation")
    else:
        due_on = on + timedelta(days=RECTIFICATION_DAYS)
        answer, line = await post_step(
            http,
            f"{assessment_url}/escalations/{talk['escalation_id']}/talks",
            {
                "scheduled_on": on.isoformat(),
                "attendees": [{"name": "张明", "position": "分管副行长"}],
                "minutes": "通报首贷培植进度，分析差距原因，提出整改要求。",
                "rectifications": [
                    {"commitment": "逐户走访培植库企业，按月报送首贷进展。", "due_on": str(due_on)}
                ],
            },
            "talk",
            f"held a talk with {talk['unit_id']} on {on}: rectification due {due_on}",
            campaign,
        )
        lines.append(line)
        if answer.is_success:
            [commitment] = answer.json()["rectifications"]
            rectification_id = commitment["rectification_id"]

    circular = first_of(escalations, "circular")
    if circular is None:
        lines.append("circular: no open circular-level escalation")
    else:
        _, line = await post_step(
            http,
            f"{assessment_url}/escalations/{circular['escalation_id']}/circular",
            {},
            "circular",
            f"issued the circular on {circular['unit_id']} (the draft as generated)",
            campaign,
        )
        lines.append(line)

    if rectification_id is None:
        lines.append("rectification: none to close (no talk was recorded)")
    else:
        _, line = await post_step(
            http,
            f"{assessment_url}/rectifications/{rectification_id}/close",
            {"closing_note": "已逐户走访，首贷进展按月报送。"},
            "closing the rectification",
            f"closed the rectification {rectification_id}",
            campaign,
        )
        lines.append(line)
    return lines
