"""Matchmaking over several campaigns (Xinzhou's 2020 and 2021, Yunzhou's 2020), through HTTP
and its consumers: a fair in a county of Yunzhou and a pairing with Yunzhou's rural credit
union are accepted as facts; `?campaign=` narrows the listings to a campaign's counties and
window; an enterprise is on the list of its county's campaign.

Roster and bank events are handed to the app's own consumers (the same checks, inbox and
transaction as from Kafka), as in test_matchmaking_api."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import matchmaking.app
from matchmaking.settings import MatchmakingSettings
from shared.access_testing import bearer_headers
from shared.consumer import ConsumedRecord
from shared.envelope import new_event, to_binary, to_structured
from shared.service import Service
from shared.testing import campaigns_dir, sample_uscc
from shared.topics import ROSTER_EVENTS

from .test_matchmaking_api import consumer

pytestmark = pytest.mark.integration

YUNZHONG = "149902"  # 云中区 (fictional)
YUNZHOU, XINZHOU = "yunzhou-2020", "xinzhou-2020"


@pytest.fixture
async def app(private_namespace: str, tmp_path: Path) -> AsyncIterator[Service[Any]]:
    settings = MatchmakingSettings(
        namespace=private_namespace,
        campaigns=campaigns_dir(tmp_path / "c", "yunzhou-2020", "xinzhou-2021"),
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
    )
    application = matchmaking.app.build(settings)
    async with application.running():
        yield application


@pytest.fixture
async def client(app: Service[Any]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app.app)
    headers = bearer_headers(app.runtime.settings)
    async with httpx.AsyncClient(transport=transport, base_url="http://x", headers=headers) as http:
        yield http


async def listed(app: Service[Any], uscc: str, on: str) -> None:
    """Roster's listing of before campaigns had ids: it names none."""
    data = {"uscc": uscc, "name": "云中示例商贸有限公司", "county_code": YUNZHONG, "listed_on": on}
    value, headers = to_structured(new_event("EnterpriseListed", "urn:firstloan:roster", data))
    topic = app.runtime.settings.topic(ROSTER_EVENTS)
    record = ConsumedRecord(topic, 0, 0, None, value, tuple(headers))
    await consumer(app, "roster").process([record])


async def granted(app: Service[Any], uscc: str) -> None:
    data = {
        "institution_id": "yzrcu",
        "uscc": uscc,
        "enterprise_name": "云中示例商贸有限公司",
        "credit_id": f"C-{uscc}",
        "amount_wan": "50.00",
        "granted_on": "2020-10-16",
        "guarantee": "credit",
    }
    value, headers = to_binary(new_event("CreditGranted", "urn:firstloan:institution:yzrcu", data))
    topic = app.runtime.settings.topic("bank.yzrcu.events")
    record = ConsumedRecord(topic, 0, 0, None, value, tuple(headers))
    await consumer(app, "bank").process([record])


async def test_a_fair_and_a_pairing_of_another_city_are_facts(
    app: Service[Any], client: httpx.AsyncClient
) -> None:
    uscc = sample_uscc(41, YUNZHONG, tag="MC")
    await listed(app, uscc, "2020-10-05")
    fair = await client.post(
        "/fairs",
        json={"county_code": YUNZHONG, "title": "云中区首贷对接会", "held_on": "2020-10-12"},
    )
    assert fair.status_code == 201, fair.text
    fair_id = fair.json()["fair_id"]
    attended = await client.post(f"/fairs/{fair_id}/attendance", json={"uscc": uscc})
    assert attended.status_code == 201, attended.text
    assert attended.json()["listed"] is True  # on Yunzhou's list, its county's campaign
    bank = await client.post(f"/fairs/{fair_id}/attendance", json={"institution_id": "yzrcu"})
    assert bank.status_code == 201, bank.text
    matched = await client.post(
        "/matches",
        json={
            "uscc": uscc,
            "institution_id": "yzrcu",
            "matched_on": "2020-10-12",
            "channel": "fair",
            "fair_id": fair_id,
        },
    )
    assert matched.status_code == 201, matched.text
    assert (matched.json()["county_code"], matched.json()["listed"]) == (YUNZHONG, True)
    unknown = await client.post(
        "/fairs", json={"county_code": "149999", "title": "t", "held_on": "2020-10-12"}
    )
    assert unknown.status_code == 422

    await granted(app, uscc)
    detail = (await client.get(f"/matches/{matched.json()['match_id']}")).json()
    [outcome] = detail["outcomes"]
    assert (outcome["outcome"], outcome["within_goal"]) == ("credit_granted", True)

    in_yunzhou = await client.get("/fairs", params={"campaign": YUNZHOU})
    assert [f["fair_id"] for f in in_yunzhou.json()] == [fair_id]
    assert (await client.get("/fairs", params={"campaign": XINZHOU})).json() == []
    assert fair_id in {f["fair_id"] for f in (await client.get("/fairs")).json()}
    pairings = await client.get("/matches", params={"campaign": YUNZHOU, "institution_id": "yzrcu"})
    assert [m["uscc"] for m in pairings.json()] == [uscc]
    figures = await client.get("/institutions/yzrcu/figures", params={"campaign": YUNZHOU})
    assert figures.status_code == 200, figures.text
    assert (figures.json()["matches"], figures.json()["credit_granted"]) == (1, 1)
    elsewhere = await client.get("/institutions/yzrcu/figures", params={"campaign": XINZHOU})
    assert elsewhere.status_code == 422
    every = {f["institution_id"] for f in (await client.get("/figures")).json()}
    assert {"yzrcu", "xzrcu", "icbc"} <= every
    yunzhou = {
        f["institution_id"] for f in (await client.get(f"/figures?campaign={YUNZHOU}")).json()
    }
    assert yunzhou == {"icbc", "ccb", "jinshang", "yzrcu"}
    unknown_campaign = await client.get("/fairs", params={"campaign": "nowhere-2020"})
    assert unknown_campaign.status_code == 422
