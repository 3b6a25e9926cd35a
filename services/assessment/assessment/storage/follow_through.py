"""What supervisors did about each escalation: acknowledgements, talks with their
rectifications, circulars, and the documents kept with them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.follow_through import (
    Acknowledgement,
    Circular,
    EscalationState,
    Record,
    Rectification,
    Talk,
)
from assessment.storage.tables import (
    circulars,
    escalation_acknowledgements,
    escalation_documents,
    escalations,
    rectifications,
    talks,
)
from shared.contracts.assessment import DocumentRef, Severity


def _escalation(row: Any) -> EscalationState:
    return EscalationState(
        escalation_id=row.escalation_id,
        unit_id=row.unit_id,
        reason=row.reason,
        severity=Severity(row.severity),
        status=row.status,
        raised_at=row.raised_at,
        resolved_at=row.resolved_at,
        history=tuple(row.history),
        campaign_id=row.campaign_id,
    )


def _rectification(row: Any) -> Rectification:
    return Rectification(
        rectification_id=row.rectification_id,
        escalation_id=row.escalation_id,
        talk_id=row.talk_id,
        unit_id=row.unit_id,
        commitment=row.commitment,
        due_on=row.due_on,
        closed_by=row.closed_by,
        closed_at=row.closed_at,
        closing_note=row.closing_note,
        followed_up_at=row.followed_up_at,
    )


class SqlFollowThroughRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def records(self, escalation_ids: Sequence[str]) -> dict[str, Record]:
        """Each escalation named (that exists) with everything done about it."""
        if not escalation_ids:
            return {}
        ids = list(escalation_ids)
        run = self.connection.execute
        found = {
            r.escalation_id: _escalation(r)
            for r in await run(select(escalations).where(escalations.c.escalation_id.in_(ids)))
        }
        acks = {
            r.escalation_id: Acknowledgement(
                r.escalation_id, r.acknowledged_by, r.acknowledged_at, r.note
            )
            for r in await run(
                select(escalation_acknowledgements).where(
                    escalation_acknowledgements.c.escalation_id.in_(ids)
                )
            )
        }
        held: dict[str, list[Talk]] = {}
        for r in await run(
            select(talks).where(talks.c.escalation_id.in_(ids)).order_by(talks.c.recorded_at)
        ):
            held.setdefault(r.escalation_id, []).append(
                Talk(
                    r.talk_id,
                    r.escalation_id,
                    r.scheduled_on,
                    tuple(r.attendees),
                    r.minutes,
                    r.minutes_document,
                    r.recorded_by,
                    r.recorded_at,
                )
            )
        committed: dict[str, list[Rectification]] = {}
        for r in await run(
            select(rectifications)
            .where(rectifications.c.escalation_id.in_(ids))
            .order_by(rectifications.c.due_on, rectifications.c.rectification_id)
        ):
            committed.setdefault(r.escalation_id, []).append(_rectification(r))
        issued = {
            r.escalation_id: Circular(r.escalation_id, r.document, r.issued_by, r.issued_at, r.note)
            for r in await run(select(circulars).where(circulars.c.escalation_id.in_(ids)))
        }
        return {
            escalation_id: Record(
                escalation,
                acks.get(escalation_id),
                tuple(held.get(escalation_id, ())),
                tuple(committed.get(escalation_id, ())),
                issued.get(escalation_id),
            )
            for escalation_id, escalation in found.items()
        }

    async def acknowledge(self, acknowledgement: Acknowledgement) -> None:
        await self.connection.execute(
            escalation_acknowledgements.insert().values(
                escalation_id=acknowledgement.escalation_id,
                acknowledged_by=acknowledgement.by,
                acknowledged_at=acknowledgement.at,
                note=acknowledgement.note,
            )
        )

    async def record_talk(self, talk: Talk, committed: Sequence[Rectification]) -> None:
        await self.connection.execute(
            talks.insert().values(
                talk_id=talk.talk_id,
                escalation_id=talk.escalation_id,
                scheduled_on=talk.scheduled_on,
                attendees=[dict(a) for a in talk.attendees],
                minutes=talk.minutes,
                minutes_document=None
                if talk.minutes_document is None
                else dict(talk.minutes_document),
                recorded_by=talk.recorded_by,
                recorded_at=talk.recorded_at,
            )
        )
        if committed:
            await self.connection.execute(
                rectifications.insert(),
                [
                    {
                        "rectification_id": r.rectification_id,
                        "escalation_id": r.escalation_id,
                        "talk_id": r.talk_id,
                        "unit_id": r.unit_id,
                        "commitment": r.commitment,
                        "due_on": r.due_on,
                    }
                    for r in committed
                ],
            )

    async def issue_circular(self, circular: Circular) -> None:
        await self.connection.execute(
            circulars.insert().values(
                escalation_id=circular.escalation_id,
                document=dict(circular.document),
                issued_by=circular.issued_by,
                issued_at=circular.issued_at,
                note=circular.note,
            )
        )

    async def rectification(self, rectification_id: str) -> Rectification | None:
        row = (
            await self.connection.execute(
                select(rectifications).where(rectifications.c.rectification_id == rectification_id)
            )
        ).first()
        return None if row is None else _rectification(row)

    async def close_rectification(self, closed: Rectification) -> None:
        await self.connection.execute(
            update(rectifications)
            .where(rectifications.c.rectification_id == closed.rectification_id)
            .values(
                closed_by=closed.closed_by,
                closed_at=closed.closed_at,
                closing_note=closed.closing_note,
            )
        )

    async def open_past_due(self, today: date) -> list[Rectification]:
        """Open rectifications due before `today` not followed up yet."""
        rows = await self.connection.execute(
            select(rectifications).where(
                rectifications.c.closed_at.is_(None),
                rectifications.c.followed_up_at.is_(None),
                rectifications.c.due_on < today,
            )
        )
        return [_rectification(r) for r in rows]

    async def mark_followed_up(self, rectification_ids: Sequence[str], at: datetime) -> None:
        if rectification_ids:
            await self.connection.execute(
                update(rectifications)
                .where(rectifications.c.rectification_id.in_(list(rectification_ids)))
                .values(followed_up_at=at)
            )

    async def save_document(
        self, escalation_id: str, ref: DocumentRef, content: bytes, by: str, at: datetime
    ) -> None:
        await self.connection.execute(
            escalation_documents.insert().values(
                document_id=ref.document_id,
                escalation_id=escalation_id,
                name=ref.name,
                media_type=ref.media_type,
                size=ref.size,
                sha256=ref.sha256,
                content=content,
                uploaded_by=by,
                uploaded_at=at,
            )
        )

    async def document(
        self, escalation_id: str, document_id: str
    ) -> tuple[DocumentRef, bytes] | None:
        row = (
            await self.connection.execute(
                select(escalation_documents).where(
                    escalation_documents.c.escalation_id == escalation_id,
                    escalation_documents.c.document_id == document_id,
                )
            )
        ).first()
        if row is None:
            return None
        ref = DocumentRef(
            document_id=row.document_id,
            name=row.name,
            media_type=row.media_type,
            size=row.size,
            sha256=row.sha256,
        )
        return ref, bytes(row.content)

    async def escalation_ids_of_unit(
        self, unit_id: str, campaign_id: str | None = None
    ) -> list[str]:
        query = (
            select(escalations.c.escalation_id)
            .where(escalations.c.unit_id == unit_id)
            .order_by(escalations.c.raised_at)
        )
        if campaign_id is not None:
            query = query.where(escalations.c.campaign_id == campaign_id)
        rows = await self.connection.execute(query)
        return [r.escalation_id for r in rows]
