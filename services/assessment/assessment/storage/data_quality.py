"""Data-quality findings per institution: conflicting duplicates and conflicting loans."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict

from sqlalchemy import Table, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.data_quality import ConflictingDuplicate, DataQuality
from assessment.domain.facts import LoanKey
from assessment.storage.tables import conflicting_duplicates, conflicting_loans


class SqlDataQualityRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def record_conflicting_duplicates(self, found: Sequence[ConflictingDuplicate]) -> None:
        """Idempotent: one row per (source, id, content); the position kept is the
        earliest it was read at, whatever the order the copies were heard of."""
        if not found:
            return
        table = conflicting_duplicates
        statement = insert(table)
        position = (table.c.topic, table.c.partition, table.c.offset)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.source, table.c.event_id, table.c.fingerprint],
                set_={c.name: statement.excluded[c.name] for c in position},
                where=tuple_(*(statement.excluded[c.name] for c in position)) < tuple_(*position),
            ),
            list({(d.source, d.event_id, d.fingerprint): asdict(d) for d in found}.values()),
        )

    async def record_conflicting_loans(self, keys: Collection[LoanKey]) -> None:
        if keys:
            await self.connection.execute(
                insert(conflicting_loans).on_conflict_do_nothing(),
                [{"institution_id": i, "loan_id": loan_id} for i, loan_id in keys],
            )

    async def by_institution(self) -> dict[str, DataQuality]:
        duplicates = await self._per_institution(conflicting_duplicates)
        loans = await self._per_institution(conflicting_loans)
        return {
            institution: DataQuality(duplicates.get(institution, 0), loans.get(institution, 0))
            for institution in duplicates.keys() | loans.keys()
        }

    async def _per_institution(self, table: Table) -> dict[str, int]:
        rows = await self.connection.execute(
            select(table.c.institution_id, func.count().label("found")).group_by(
                table.c.institution_id
            )
        )
        return {row.institution_id: row.found for row in rows}
