"""What matchmaking reported: pairings and the fairs an enterprise attended, for its file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.storage.tables import attendances, matches
from shared.contracts.matchmaking import AttendanceRegistered, EnterpriseMatched


class MatchmakingRepository(Protocol):
    async def save_matches(self, matched: Sequence[EnterpriseMatched]) -> None: ...

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
                        }
                        for m in matched
                    ]
                )
                .on_conflict_do_nothing()
            )

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
