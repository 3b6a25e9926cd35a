"""Carrying out supervisors' commands on an escalation: check each against the escalation's
record (domain/follow_through.py), store it, and tell supervisors on
`assessment.escalations`; and the daily tick's follow-up of rectifications past their due
date.

Each command takes the store's lock: two supervisors acknowledging (or closing) the same
thing at once must see each other's step, and the tick's follow-up must see a close.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime

from assessment.commands import (
    Acknowledge,
    CloseRectification,
    IssueCircular,
    RecordTalk,
    UploadDocument,
)
from assessment.documents import DOCX, circular_draft
from assessment.domain.follow_through import (
    Acknowledgement,
    Circular,
    FollowThroughRefusedError,
    NotFoundError,
    Record,
    Rectification,
    Talk,
    check_acknowledge,
    check_circular,
    check_close,
    check_talk,
    due_for_follow_up,
)
from assessment.handlers.base import HandlerBase
from assessment.storage import Store
from shared.contracts.assessment import (
    Attendee,
    CircularIssued,
    Commitment,
    DocumentRef,
    EscalationAcknowledged,
    RectificationClosed,
    RectificationDue,
    TalkHeld,
)
from shared.reference import ReferenceData
from shared.topics import ASSESSMENT_ESCALATIONS
from shared.unit_of_work import UnitOfWork


class FollowThroughHandlers(HandlerBase):
    def campaign_of(self, record: Record) -> ReferenceData:
        """The campaign that raised the escalation (an escalation of a campaign no longer
        known: the book's first, for the draft's names and authority)."""
        book = self.book()
        known = {c.campaign.id: c for c in book.campaigns}
        return known.get(record.escalation.campaign_id, book.campaigns[0])

    async def acknowledge(self, uow: UnitOfWork[Store], command: Acknowledge) -> None:
        await uow.store.serialize()
        now = self.now()
        record = await _record_of(uow, command.escalation_id)
        check_acknowledge(record)
        await uow.store.follow_through.acknowledge(
            Acknowledgement(command.escalation_id, command.by, now, command.note)
        )
        uow.emit(
            ASSESSMENT_ESCALATIONS,
            record.escalation.unit_id,
            EscalationAcknowledged(
                campaign_id=record.escalation.campaign_id or None,
                escalation_id=command.escalation_id,
                unit_id=record.escalation.unit_id,
                acknowledged_by=command.by,
                acknowledged_at=now,
                note=command.note,
            ),
        )

    async def upload_document(self, uow: UnitOfWork[Store], command: UploadDocument) -> DocumentRef:
        await uow.store.serialize()
        now = self.now()
        await _record_of(uow, command.escalation_id)
        return await _keep_document(
            uow,
            command.escalation_id,
            command.name,
            command.media_type,
            command.content,
            command.by,
            now,
        )

    async def record_talk(self, uow: UnitOfWork[Store], command: RecordTalk) -> TalkHeld:
        await uow.store.serialize()
        now = self.now()
        record = await _record_of(uow, command.escalation_id)
        document = (
            None
            if command.minutes_document_id is None
            else await _document_ref(uow, command.escalation_id, command.minutes_document_id)
        )
        check_talk(
            record,
            command.scheduled_on,
            command.minutes,
            None if document is None else document.model_dump(),
            [c.due_on for c in command.rectifications],
        )
        unit_id = record.escalation.unit_id
        talk = Talk(
            talk_id=str(uuid.uuid4()),
            escalation_id=command.escalation_id,
            scheduled_on=command.scheduled_on,
            attendees=tuple({"name": a.name, "position": a.position} for a in command.attendees),
            minutes=command.minutes,
            minutes_document=None if document is None else document.model_dump(),
            recorded_by=command.by,
            recorded_at=now,
        )
        committed = [
            Rectification(
                str(uuid.uuid4()),
                command.escalation_id,
                talk.talk_id,
                unit_id,
                c.commitment,
                c.due_on,
            )
            for c in command.rectifications
        ]
        await uow.store.follow_through.record_talk(talk, committed)
        held = TalkHeld(
            campaign_id=record.escalation.campaign_id or None,
            escalation_id=command.escalation_id,
            unit_id=unit_id,
            talk_id=talk.talk_id,
            scheduled_on=talk.scheduled_on,
            attendees=[Attendee(**a) for a in talk.attendees],
            minutes=talk.minutes,
            minutes_document=document,
            rectifications=[
                Commitment(
                    rectification_id=r.rectification_id, commitment=r.commitment, due_on=r.due_on
                )
                for r in committed
            ],
            recorded_by=command.by,
            recorded_at=now,
        )
        uow.emit(ASSESSMENT_ESCALATIONS, unit_id, held)
        return held

    async def issue_circular(
        self, uow: UnitOfWork[Store], command: IssueCircular
    ) -> CircularIssued:
        await uow.store.serialize()
        now = self.now()
        record = await _record_of(uow, command.escalation_id)
        check_circular(record)
        reference = self.campaign_of(record)
        if command.document_id is None:
            document = await _keep_document(
                uow,
                command.escalation_id,
                f"circular-{record.escalation.unit_id}-{now.date()}.docx",
                DOCX,
                circular_draft(record, reference, now),
                command.by,
                now,
            )
        else:
            document = await _document_ref(uow, command.escalation_id, command.document_id)
        await uow.store.follow_through.issue_circular(
            Circular(command.escalation_id, document.model_dump(), command.by, now, command.note)
        )
        issued = CircularIssued(
            campaign_id=record.escalation.campaign_id or None,
            escalation_id=command.escalation_id,
            unit_id=record.escalation.unit_id,
            document=document,
            issued_by=command.by,
            issued_at=now,
            note=command.note,
        )
        uow.emit(ASSESSMENT_ESCALATIONS, record.escalation.unit_id, issued)
        return issued

    async def close_rectification(
        self, uow: UnitOfWork[Store], command: CloseRectification
    ) -> RectificationClosed:
        await uow.store.serialize()
        now = self.now()
        store = uow.store.follow_through
        found = await store.rectification(command.rectification_id)
        if found is None:
            raise NotFoundError(
                "rectification_id", f"no rectification {command.rectification_id!r}"
            )
        check_close(found)
        campaigns = await _campaigns_of(uow, [found])
        if not command.closing_note.strip():
            raise FollowThroughRefusedError("closing_note", "say what was done")
        await store.close_rectification(
            Rectification(
                **{
                    **vars(found),
                    "closed_by": command.by,
                    "closed_at": now,
                    "closing_note": command.closing_note,
                }
            )
        )
        closed = RectificationClosed(
            campaign_id=campaigns.get(found.escalation_id),
            escalation_id=found.escalation_id,
            unit_id=found.unit_id,
            rectification_id=found.rectification_id,
            closed_by=command.by,
            closed_at=now,
            closing_note=command.closing_note,
        )
        uow.emit(ASSESSMENT_ESCALATIONS, found.unit_id, closed)
        return closed

    async def follow_up_rectifications(
        self, uow: UnitOfWork[Store], now: datetime
    ) -> list[Rectification]:
        """One `RectificationDue` for each open rectification past its due date, once (the
        daily tick's, which holds the store's lock)."""
        today = now.date()
        store = uow.store.follow_through
        due = due_for_follow_up(await store.open_past_due(today), today)
        await store.mark_followed_up([r.rectification_id for r in due], now)
        campaigns = await _campaigns_of(uow, due)
        for rectification in due:
            uow.emit(
                ASSESSMENT_ESCALATIONS,
                rectification.unit_id,
                RectificationDue(
                    campaign_id=campaigns.get(rectification.escalation_id),
                    escalation_id=rectification.escalation_id,
                    unit_id=rectification.unit_id,
                    rectification_id=rectification.rectification_id,
                    commitment=rectification.commitment,
                    due_on=rectification.due_on,
                    as_of=today,
                ),
            )
        return due


async def _campaigns_of(
    uow: UnitOfWork[Store], rectifications: Sequence[Rectification]
) -> dict[str, str]:
    """The campaign of each rectification's escalation, by escalation id."""
    ids = sorted({r.escalation_id for r in rectifications})
    records = await uow.store.follow_through.records(ids)
    return {e: r.escalation.campaign_id for e, r in records.items() if r.escalation.campaign_id}


async def _record_of(uow: UnitOfWork[Store], escalation_id: str) -> Record:
    found = await uow.store.follow_through.records([escalation_id])
    if escalation_id not in found:
        raise NotFoundError("escalation_id", f"no escalation {escalation_id!r}")
    return found[escalation_id]


async def _document_ref(
    uow: UnitOfWork[Store], escalation_id: str, document_id: str
) -> DocumentRef:
    found = await uow.store.follow_through.document(escalation_id, document_id)
    if found is None:
        raise NotFoundError("document_id", f"no document {document_id!r} of this escalation")
    return found[0]


async def _keep_document(
    uow: UnitOfWork[Store],
    escalation_id: str,
    name: str,
    media_type: str,
    content: bytes,
    by: str,
    now: datetime,
) -> DocumentRef:
    ref = DocumentRef(
        document_id=str(uuid.uuid4()),
        name=name,
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    await uow.store.follow_through.save_document(escalation_id, ref, content, by, now)
    return ref
