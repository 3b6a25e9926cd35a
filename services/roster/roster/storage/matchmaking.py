"""What matchmaking reported: pairings and the fairs an enterprise attended, for its file
(facts of no campaign). A pairing of an enterprise not yet on file waits here: the
nomination that lists it assigns it (roster.handlers)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.domain.assignments import Pairing
from roster.storage.tables import attendances, matches
from shared.contracts.matchmaking import AttendanceRegistered, EnterpriseMatched


class MatchmakingRepository(Protocol):
    async def save_matches(self, matched: Sequence[EnterpriseMatched]) -> None: ...

    async def pairings_of(self, usccs: Iterable[str]) -> list[Pairing]:
        """Every pairing on file of these enterprises."""

    async def save_attendances(self, attended: Sequence[AttendanceRegistered]) -> None:
        """The enterprises' attendances (an institution's are not the file's business)."""


class SqlMatchmakingRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def save_matches(self, matched: Sequence[EnterpriseMatched]) -> None:
        if matched:
            await self._connection.execute(
                insert(matches)
                .values(
                    [
                        {
                            "match_id": m.match_id,
                            "uscc": m.uscc,
                            "institution_id": m.institution_id,
                            "matched_on": m.matched_on,
                            "channel": m.channel.value,
                            "fair_id": m.fair_id,
                            "county_code": m.county_code,
                        }
                        for m in matched
                    ]
                )
                .on_conflict_do_nothing()
            )

    async def pairings_of(self, usccs: Iterable[str]) -> list[Pairing]:
        codes = sorted(set(usccs))
        if not codes:
            return []
        c = matches.c
        result = await self._connection.execute(
            select(c.uscc, c.institution_id, c.matched_on, c.county_code)
            .where(c.uscc.in_(codes))
            .order_by(c.uscc, c.matched_on, c.match_id)
        )
        return [Pairing(*row) for row in result]

    async def save_attendances(self, attended: Sequence[AttendanceRegistered]) -> None:
        rows = [
            {
                "fair_id": a.fair_id,
                "uscc": a.uscc,
                "county_code": a.county_code,
                "held_on": a.held_on,
            }
            for a in attended
            if a.uscc is not None
        ]
        if rows:
            await self._connection.execute(
                insert(attendances).values(rows).on_conflict_do_nothing()
            )
