"""Follow-through and the forecast through the running service on the real broker and
database: supervisors' commands over HTTP with tokens, audited, their events on the real
`assessment.escalations` topic, a rectification overdue on a fixed clock followed up once,
the forecast in GET /attainment and the projected_shortfall warnings of the daily tick."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from assessment.app import AssessmentService, build
from assessment.documents import DOCX
from assessment.settings import AssessmentSettings
from shared.access_testing import supervisor_headers
from shared.envelope import Envelope, parse_record
from shared.service import Runtime
from shared.testing import eventually, read_topic
from shared.topics import ASSESSMENT_ESCALATIONS

pytestmark = pytest.mark.integration

XINFU = "140902"
PDF = "application/pdf"


@pytest.fixture
async def service(private_namespace: str) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    settings = AssessmentSettings(
        namespace=private_namespace,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        clock_date=date(2020, 11, 15),
        run_checkpoints=False,
        tick_seconds=0.3,
        document_max_bytes=2_000,
    )
    app: AssessmentService = build(settings)
    runtime = app.runtime
    async with (
        runtime.running(),
        httpx.AsyncClient(
            headers=supervisor_headers(),
            transport=httpx.ASGITransport(app=app.app),
            base_url="http://assessment",
        ) as http,
    ):
        yield http, runtime


async def escalation_events(runtime: Runtime) -> list[Envelope]:
    await eventually(lambda: _relayed(runtime), what="the outbox to be published")
    records = await read_topic(
        runtime.settings.kafka_bootstrap, runtime.settings.topic(ASSESSMENT_ESCALATIONS)
    )
    events = [parse_record(r.value, r.headers) for r in records]
    return [e for e in events if isinstance(e, Envelope)]


async def _relayed(runtime: Runtime) -> bool:
    return await runtime.relay.pending() == 0


async def test_acknowledge_talk_rectify_and_issue_a_circular_end_to_end(
    service: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, runtime = service

    async def warned() -> bool:
        # The daily tick's live warning (day 76) comes first: the checkpoint then upgrades it.
        listed = (await http.get("/escalations")).json()
        return any(e["unit_id"] == XINFU and e["reason"] == "under_target" for e in listed)

    await eventually(warned, what="the live warning of the day")
    run = await http.post("/assessments", json={"as_of": "2020-09-30"})
    assert run.status_code == 200
    listed = (await http.get("/escalations")).json()
    (xinfu,) = [e for e in listed if e["unit_id"] == XINFU and e["reason"] == "under_target"]
    escalation = xinfu["escalation_id"]
    base = f"/escalations/{escalation}"

    ack = await http.post(f"{base}/acknowledgement", json={"note": "已阅，安排约谈"})
    assert ack.status_code == 201, ack.text
    assert [s["kind"] for s in ack.json()["story"]] == [
        "raised",  # the live warning (day 76)
        "upgraded",  # the checkpoint's circular
        "acknowledged",
    ]
    again = await http.post(f"{base}/acknowledgement", json={})
    assert again.status_code == 409
    assert again.json()["detail"][0]["field"] == "escalation_id"
    assert (await http.post("/escalations/nope/acknowledgement", json={})).status_code == 404

    minutes = await http.post(
        f"{base}/documents", files={"file": ("纪要.pdf", b"%PDF-1.4 minutes", PDF)}
    )
    assert minutes.status_code == 201, minutes.text
    assert minutes.json()["size"] == len(b"%PDF-1.4 minutes")
    too_big = await http.post(f"{base}/documents", files={"file": ("a.pdf", b"x" * 2_001, PDF)})
    assert too_big.status_code == 413
    wrong = await http.post(
        f"{base}/documents", files={"file": ("a.exe", b"MZ", "application/x-msdownload")}
    )
    assert wrong.status_code == 415
    assert wrong.json()["detail"][0]["field"] == "file"
    fetched = await http.get(f"{base}/documents/{minutes.json()['document_id']}")
    assert fetched.content == b"%PDF-1.4 minutes"
    assert fetched.headers["content-type"] == PDF

    talk = {
        "scheduled_on": "2020-10-12",
        "attendees": [{"name": "李明", "position": "行长"}],
        "minutes_document_id": minutes.json()["document_id"],
        # Due before the platform's today (2020-11-15): the tick follows it up.
        "rectifications": [
            {"commitment": "每周召开首贷推进会", "due_on": "2020-11-10"},
            {"commitment": "建立首贷台账", "due_on": "2020-12-20"},
        ],
    }
    held = await http.post(f"{base}/talks", json=talk)
    assert held.status_code == 201, held.text
    assert held.json()["recorded_by"] == "test:client"
    overdue, later = held.json()["rectifications"]
    early = await http.post(
        f"{base}/talks",
        json={**talk, "rectifications": [{"commitment": "x", "due_on": "2020-10-01"}]},
    )
    assert early.status_code == 409
    assert early.json()["detail"][0]["field"] == "rectifications.0.due_on"
    missing = await http.post(f"{base}/talks", json={**talk, "attendees": []})
    assert missing.status_code == 422

    async def followed_up() -> bool:
        story = (await http.get(base)).json()["story"]
        return "rectification_due" in [s["kind"] for s in story]

    await eventually(followed_up, what="the tick to follow the overdue rectification up")
    await asyncio.sleep(1.0)  # several more ticks: none may follow it up again

    draft = await http.get(f"{base}/circular/draft.docx")
    assert draft.status_code == 200
    assert draft.headers["content-type"] == DOCX
    issued = await http.post(f"{base}/circular", json={"note": "印发"})
    assert issued.status_code == 201, issued.text
    assert issued.json()["document"]["media_type"] == DOCX
    assert (await http.post(f"{base}/circular", json={})).status_code == 409

    close = f"/rectifications/{overdue['rectification_id']}/close"
    closed = await http.post(close, json={"closing_note": "已每周召开推进会"})
    assert closed.status_code == 200, closed.text
    assert (await http.post(close, json={"closing_note": "again"})).status_code == 409
    assert (await http.post(close, json={"closing_note": ""})).status_code == 422

    story = (await http.get(base)).json()
    # On a fixed clock every step has the same time: ties go in the order steps can happen.
    assert [s["kind"] for s in story["story"]] == [
        "raised",
        "upgraded",
        "acknowledged",
        "talk_held",
        "rectification_due",
        "rectification_closed",
        "circular_issued",
    ]
    assert [r["closed_by"] for r in story["rectifications"]] == ["test:client", None]
    unit = (await http.get(f"/dashboard/units/{XINFU}")).json()
    (shown,) = [e for e in unit["escalations"] if e["escalation_id"] == escalation]
    assert [s["kind"] for s in shown["story"]] == [s["kind"] for s in story["story"]]

    events = await escalation_events(runtime)
    mine = [e for e in events if e.data.get("escalation_id") == escalation]
    names = [e.name for e in mine]
    for name in ("EscalationAcknowledged", "TalkHeld", "CircularIssued", "RectificationClosed"):
        assert names.count(name) == 1, names
    due = [e for e in mine if e.name == "RectificationDue"]
    assert [e.data["rectification_id"] for e in due] == [overdue["rectification_id"]]
    assert later["rectification_id"] not in {e.data.get("rectification_id") for e in due}

    audit = (await http.get("/audit", params={"actor": "test:client"})).json()
    actions = {(a["action"], a["outcome"]) for a in audit}
    assert ("POST /escalations/{escalation_id}/acknowledgement", "committed") in actions
    assert ("POST /rectifications/{rectification_id}/close", "committed") in actions


async def test_the_forecast_is_in_attainment_and_its_warnings_on_the_topic(
    service: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, runtime = service

    async def shortfalls() -> bool:
        listed = (await http.get("/escalations")).json()
        return any(e["reason"] == "projected_shortfall" for e in listed)

    await eventually(shortfalls, what="the daily tick's projected_shortfall warnings")
    body = (await http.get("/attainment")).json()
    xinfu = next(u for u in body["units"] if u["unit_id"] == XINFU)
    # Day 76 with nothing listed in 忻府区 and no first loan anywhere: nothing to project.
    forecast = xinfu["forecast"]
    assert (forecast["first_loans"], forecast["low"], forecast["high"]) == (0, 0, 0)
    assert forecast["basis"]["funnel"]["listed"] == 0
    past = (await http.get("/attainment", params={"as_of": "2020-09-03"})).json()
    assert next(u for u in past["units"] if u["unit_id"] == XINFU)["forecast"] is None
    raised = [
        e
        for e in await escalation_events(runtime)
        if e.name == "EscalationRaised" and e.data["reason"] == "projected_shortfall"
    ]
    assert XINFU in {e.data["unit_id"] for e in raised}
    assert {e.data["severity"] for e in raised} == {"warning"}
