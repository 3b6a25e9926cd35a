"""Fairs (首贷对接会) and who attended them."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from matchmaking.domain.fairs import Attendee, AttendeeKind, Fair
from matchmaking.storage.tables import attendance, fairs


class FairRepository(Protocol):
    async def add(self, fair: Fair) -> None: ...
    async def get(self, fair_id: str) -> Fair | None: ...
    async def find(self, county_code: str | None = None) -> list[Fair]: ...


class AttendanceRepository(Protocol):
    async def add(self, attendee: Attendee) -> bool:
        """Record it; False if it was already recorded (the first registration stands)."""
        ...

    async def get(self, fair_id: str, kind: AttendeeKind, attendee: str) -> Attendee | None: ...
    async def of_fair(self, fair_id: str) -> list[Attendee]: ...


class SqlFairRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, fair: Fair) -> None:
        await self._connection.execute(
            fairs.insert().values(
                fair_id=fair.fair_id,
                county_code=fair.county_code,
                title=fair.title,
                held_on=fair.held_on,
                venue=fair.venue,
                organizer=fair.organizer,
            )
        )

    async def get(self, fair_id: str) -> Fair | None:
        query = select(fairs).where(fairs.c.fair_id == fair_id)
        row = (await self._connection.execute(query)).first()
        return _fair(row) if row else None

    async def find(self, county_code: str | None = None) -> list[Fair]:
        query = select(fairs).order_by(fairs.c.held_on, fairs.c.fair_id)
        if county_code:
            query = query.where(fairs.c.county_code == county_code)
        return [_fair(row) for row in await self._connection.execute(query)]


def _fair(row: Any) -> Fair:
    return Fair(row.fair_id, row.county_code, row.title, row.held_on, row.venue, row.organizer)


class SqlAttendanceRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, attendee: Attendee) -> bool:
        statement = (
            insert(attendance)
            .values(
                fair_id=attendee.fair_id,
                kind=attendee.kind.value,
                attendee=attendee.attendee,
                listed=attendee.listed,
            )
            .on_conflict_do_nothing()
            .returning(attendance.c.fair_id)
        )
        return (await self._connection.execute(statement)).first() is not None

    async def get(self, fair_id: str, kind: AttendeeKind, attendee: str) -> Attendee | None:
        query = select(attendance).where(
            attendance.c.fair_id == fair_id,
            attendance.c.kind == kind.value,
            attendance.c.attendee == attendee,
        )
        row = (await self._connection.execute(query)).first()
        return _attendee(row) if row else None

    async def of_fair(self, fair_id: str) -> list[Attendee]:
        query = (
            select(attendance)
            .where(attendance.c.fair_id == fair_id)
            .order_by(attendance.c.kind, attendance.c.attendee)
        )
        return [_attendee(row) for row in await self._connection.execute(query)]


def _attendee(row: Any) -> Attendee:
    return Attendee(row.fair_id, AttendeeKind(row.kind), row.attendee, row.listed)
