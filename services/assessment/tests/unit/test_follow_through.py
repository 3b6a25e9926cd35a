"""Follow-through of an escalation: the rules (domain) and the handlers over the in-memory
store (what they keep, what they tell supervisors, the follow-up of an overdue
rectification on a moving clock)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assessment.commands import (
    Acknowledge,
    Attendance,
    CloseRectification,
    Commit,
    IssueCircular,
    KeepUpToDate,
    RecordTalk,
    RunCheckpoint,
    UploadDocument,
)
from assessment.documents import DOCX
from assessment.domain.follow_through import (
    EscalationState,
    FollowThroughRefusedError,
    NotFoundError,
    Record,
    Rectification,
    check_circular,
    check_talk,
    due_for_follow_up,
    story,
)
from assessment.handlers import Handlers
from shared.contracts.assessment import (
    CircularIssued,
    RectificationDue,
    Severity,
    TalkHeld,
)
from shared.reference import load_reference
from shared.testing import recorded, unit_of_work_over
from shared.unit_of_work import UnitOfWork

from .fakes import InMemoryStore

REFERENCE = load_reference()
ZONE = ZoneInfo("Asia/Shanghai")
XINFU = "140902"
SUPERVISOR = "central:wang"


def state(severity: Severity) -> EscalationState:
    at = datetime(2020, 9, 30, 12, tzinfo=ZONE)
    return EscalationState("e-1", XINFU, "under_target", severity, "open", at, None, ())


def rectification(n: int, due_on: date, **changes: object) -> Rectification:
    found = Rectification(f"r-{n}", "e-1", "t-1", XINFU, f"commitment {n}", due_on)
    return Rectification(**{**vars(found), **changes})


# --- rules --------------------------------------------------------------------------


def test_a_talk_needs_an_escalation_that_reached_talk_minutes_and_due_dates_after_it() -> None:
    talk_day = date(2020, 10, 10)
    with pytest.raises(FollowThroughRefusedError) as refused:
        check_talk(Record(state(Severity.WARNING)), talk_day, "minutes", None, [])
    assert refused.value.field == "escalation_id"
    with pytest.raises(FollowThroughRefusedError) as refused:
        check_talk(Record(state(Severity.TALK)), talk_day, "  ", None, [])
    assert refused.value.field == "minutes"
    with pytest.raises(FollowThroughRefusedError) as refused:
        check_talk(Record(state(Severity.TALK)), talk_day, "m", None, [talk_day, date(2020, 10, 9)])
    assert refused.value.field == "rectifications.1.due_on"
    check_talk(Record(state(Severity.CIRCULAR)), talk_day, None, {"document_id": "d"}, [talk_day])


def test_a_circular_needs_an_escalation_at_circular() -> None:
    with pytest.raises(FollowThroughRefusedError):
        check_circular(Record(state(Severity.TALK)))
    check_circular(Record(state(Severity.CIRCULAR)))


def test_only_open_rectifications_past_due_and_not_followed_up_are_due() -> None:
    today = date(2020, 11, 21)
    at = datetime(2020, 11, 21, 9, tzinfo=ZONE)
    found = due_for_follow_up(
        [
            rectification(1, date(2020, 11, 20)),
            rectification(2, date(2020, 11, 21)),  # due today: not yet late
            rectification(3, date(2020, 11, 1), closed_at=at, closed_by="x", closing_note="done"),
            rectification(4, date(2020, 11, 1), followed_up_at=at),
            rectification(5, date(2020, 10, 1)),
        ],
        today,
    )
    assert [r.rectification_id for r in found] == ["r-5", "r-1"]


# --- handlers -----------------------------------------------------------------------


class Clock:
    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, 12, tzinfo=ZONE)


def uow(store: InMemoryStore) -> UnitOfWork[InMemoryStore]:
    return unit_of_work_over(store)


async def escalated(clock: Clock) -> tuple[InMemoryStore, Handlers, str]:
    """A store in which the checkpoint of 2020-09-30 gave Xinfu (no first loan) a circular."""
    store = InMemoryStore()
    handlers = Handlers(lambda: REFERENCE, clock)
    await handlers.run_checkpoint(uow(store), RunCheckpoint(date(2020, 9, 30)))
    (escalation_id,) = [e for e, s in store.escalations.states.items() if s.unit_id == XINFU]
    assert store.escalations.states[escalation_id].severity is Severity.CIRCULAR
    return store, handlers, escalation_id


def talk(escalation_id: str, due_on: date) -> RecordTalk:
    return RecordTalk(
        escalation_id=escalation_id,
        by=SUPERVISOR,
        scheduled_on=date(2020, 10, 12),
        attendees=(Attendance("李明", "行长"),),
        minutes="县支行说明进度落后原因，承诺整改。",
        minutes_document_id=None,
        rectifications=(Commit("每周召开一次首贷推进会", due_on),),
    )


async def test_acknowledging_twice_is_refused_and_told_once() -> None:
    clock = Clock(date(2020, 10, 8))
    store, handlers, escalation_id = await escalated(clock)
    first = uow(store)
    await handlers.acknowledge(first, Acknowledge(escalation_id, SUPERVISOR, "已阅"))
    await first.flush()
    (event,) = recorded(first).events("EscalationAcknowledged")
    assert event.data["acknowledged_by"] == SUPERVISOR
    assert event.data["unit_id"] == XINFU
    with pytest.raises(FollowThroughRefusedError):
        await handlers.acknowledge(uow(store), Acknowledge(escalation_id, "central:li", None))
    with pytest.raises(NotFoundError):
        await handlers.acknowledge(uow(store), Acknowledge("no-such", SUPERVISOR, None))


async def test_an_overdue_rectification_is_followed_up_once_and_the_story_is_in_order() -> None:
    clock = Clock(date(2020, 10, 8))
    store, handlers, escalation_id = await escalated(clock)
    await handlers.acknowledge(uow(store), Acknowledge(escalation_id, SUPERVISOR, None))
    clock.day = date(2020, 10, 12)
    held = await handlers.record_talk(uow(store), talk(escalation_id, date(2020, 11, 20)))
    assert isinstance(held, TalkHeld)
    assert len(held.rectifications) == 1
    tick = KeepUpToDate(run_checkpoints=False)
    follow_ups = []
    for day in (date(2020, 11, 20), date(2020, 11, 21), date(2020, 11, 22)):
        clock.day = day
        ticked = uow(store)
        await handlers.keep_up_to_date(ticked, tick)
        await handlers.keep_up_to_date(ticked, tick)  # ticks repeat within a day
        await ticked.flush()
        follow_ups += [
            (day, RectificationDue.model_validate(e.data))
            for e in recorded(ticked).events("RectificationDue")
        ]
    assert [(day, due.due_on) for day, due in follow_ups] == [
        (date(2020, 11, 21), date(2020, 11, 20))
    ]
    clock.day = date(2020, 11, 23)
    rectification_id = held.rectifications[0].rectification_id
    close = CloseRectification(rectification_id, SUPERVISOR, "已每周召开推进会")
    closed = await handlers.close_rectification(uow(store), close)
    assert closed.closed_by == SUPERVISOR
    with pytest.raises(FollowThroughRefusedError):
        await handlers.close_rectification(uow(store), close)
    issued = await handlers.issue_circular(
        uow(store), IssueCircular(escalation_id, SUPERVISOR, None, "印发")
    )
    assert isinstance(issued, CircularIssued)
    assert issued.document.media_type == DOCX
    record = (await store.follow_through.records([escalation_id]))[escalation_id]
    kinds = [step.kind for step in story(record)]
    assert kinds == [
        "raised",
        "acknowledged",
        "talk_held",
        "rectification_due",
        "rectification_closed",
        "circular_issued",
    ]
    steps = story(record)
    assert steps == sorted(steps, key=lambda s: s.at)


async def test_minutes_as_a_document_of_the_escalation_and_an_uploaded_circular() -> None:
    clock = Clock(date(2020, 10, 8))
    store, handlers, escalation_id = await escalated(clock)
    minutes = await handlers.upload_document(
        uow(store),
        UploadDocument(escalation_id, SUPERVISOR, "纪要.pdf", "application/pdf", b"%PDF"),
    )
    command = talk(escalation_id, date(2020, 11, 20))
    with_document = RecordTalk(
        **{**vars(command), "minutes": None, "minutes_document_id": minutes.document_id}
    )
    held = await handlers.record_talk(uow(store), with_document)
    assert held.minutes_document == minutes
    assert minutes.size == 4
    other = RecordTalk(**{**vars(with_document), "minutes_document_id": "elsewhere"})
    with pytest.raises(NotFoundError):
        await handlers.record_talk(uow(store), other)
    edited = await handlers.upload_document(
        uow(store), UploadDocument(escalation_id, SUPERVISOR, "通报.docx", DOCX, b"edited")
    )
    issued = await handlers.issue_circular(
        uow(store), IssueCircular(escalation_id, SUPERVISOR, edited.document_id, None)
    )
    assert issued.document == edited
    with pytest.raises(FollowThroughRefusedError):
        await handlers.issue_circular(
            uow(store), IssueCircular(escalation_id, SUPERVISOR, None, None)
        )


async def test_the_tick_raises_and_resolves_projected_shortfall_once_a_day() -> None:
    # The forecast's first day, with nothing listed anywhere: every high end is nothing.
    first_day = REFERENCE.campaign.start + timedelta(
        days=REFERENCE.forecast.shortfall_from_campaign_day - 1
    )
    clock = Clock(first_day)
    store = InMemoryStore()
    handlers = Handlers(lambda: REFERENCE, clock)
    tick = KeepUpToDate(run_checkpoints=False)
    ticked = uow(store)
    await handlers.keep_up_to_date(ticked, tick)
    await ticked.flush()
    raised = recorded(ticked).events("EscalationRaised")
    shortfall = [e for e in raised if e.data["reason"] == "projected_shortfall"]
    assert {e.data["unit_id"] for e in shortfall} >= {XINFU, "icbc"}
    assert {e.data["severity"] for e in shortfall} == {"warning"}
    assert store.forecast_funnels.day == first_day
    again = uow(store)
    await handlers.keep_up_to_date(again, tick)
    await again.flush()
    assert recorded(again).events("EscalationRaised") == []
    # A method that warns later resolves them the next day.
    lenient = REFERENCE.model_copy(
        update={
            "forecast": REFERENCE.forecast.model_copy(update={"shortfall_from_campaign_day": 200})
        }
    )
    clock.day += timedelta(days=1)
    next_day = uow(store)
    await Handlers(lambda: lenient, clock).keep_up_to_date(next_day, tick)
    await next_day.flush()
    resolved = recorded(next_day).events("EscalationResolved")
    assert {e.data["reason"] for e in resolved} == {"projected_shortfall"}
