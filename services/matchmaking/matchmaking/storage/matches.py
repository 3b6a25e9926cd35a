"""Bank-enterprise pairings (银企对接)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from matchmaking.domain.fairs import Match
from matchmaking.storage.tables import matches
from shared.contracts.matchmaking import Channel


class MatchRepository(Protocol):
    async def add(self, match: Match) -> bool:
        """Record the pairing; False if the same pairing was already recorded."""
        ...

    async def find(
        self,
        *,
        match_id: str | None = None,
        institution_id: str | None = None,
        uscc: str | None = None,
        fair_id: str | None = None,
    ) -> list[Match]:
        """Pairings meeting every condition given, by date."""
        ...

    async def of_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[Match]:
        """Every pairing of the given (uscc, institution_id) pairs."""
        ...


class SqlMatchRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, match: Match) -> bool:
        statement = (
            insert(matches)
            .values(
                match_id=match.match_id,
                uscc=match.uscc,
                institution_id=match.institution_id,
                matched_on=match.matched_on,
                channel=match.channel.value,
                fair_id=match.fair_id,
                product_id=match.product_id,
                listed=match.listed,
                county_code=match.county_code,
                enterprise_name=match.enterprise_name,
            )
            # The id is derived from the pairing's own fields: a copy is a retried request.
            .on_conflict_do_nothing()
            .returning(matches.c.match_id)
        )
        return (await self._connection.execute(statement)).first() is not None

    async def find(
        self,
        *,
        match_id: str | None = None,
        institution_id: str | None = None,
        uscc: str | None = None,
        fair_id: str | None = None,
    ) -> list[Match]:
        query = select(matches).order_by(matches.c.matched_on, matches.c.match_id)
        for column, value in [
            (matches.c.match_id, match_id),
            (matches.c.institution_id, institution_id),
            (matches.c.uscc, uscc),
            (matches.c.fair_id, fair_id),
        ]:
            if value is not None:
                query = query.where(column == value)
        return [_match(row) for row in await self._connection.execute(query)]

    async def of_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[Match]:
        wanted = sorted(set(pairs))
        if not wanted:
            return []
        key = tuple_(matches.c.uscc, matches.c.institution_id)
        rows = await self._connection.execute(select(matches).where(key.in_(wanted)))
        return [_match(row) for row in rows]


def _match(row: Any) -> Match:
    return Match(
        match_id=row.match_id,
        uscc=row.uscc,
        institution_id=row.institution_id,
        matched_on=row.matched_on,
        channel=Channel(row.channel),
        fair_id=row.fair_id,
        product_id=row.product_id,
        listed=row.listed,
        county_code=row.county_code,
        enterprise_name=row.enterprise_name,
    )
