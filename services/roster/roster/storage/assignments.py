"""Assignments of enterprises to institutions, per campaign: one per pair in a campaign, the
earliest day (and the way that gave it), whatever order the nominations, requests and
pairings arrive in."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import Column, RowMapping, literal_column, or_, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.domain.assignments import Assignment, AssignmentChange, earliest
from roster.storage.tables import assignments
from shared.contracts.roster import AssignmentWay


class AssignmentRepository(Protocol):
    async def record(
        self, campaign_id: str, arriving: Sequence[Assignment], on_file: Collection[str]
    ) -> list[AssignmentChange]:
        """Keep each arriving assignment in the campaign that is new or earlier than the
        known one of its pair there (`Assignment.precedes`); those of enterprises in
        `on_file` are announced."""

    async def announce_waiting(self, campaign_id: str, usccs: Iterable[str]) -> list[Assignment]:
        """The campaign's assignments of these enterprises made before they were on file
        (pairings recorded so by an older roster), now marked announced: the caller
        publishes them."""


class SqlAssignmentRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(
        self, campaign_id: str, arriving: Sequence[Assignment], on_file: Collection[str]
    ) -> list[AssignmentChange]:
        # One row per pair: one statement may not update a row twice.
        rows = [
            {
                "campaign_id": campaign_id,
                "uscc": a.uscc,
                "institution_id": a.institution_id,
                "way": a.way.value,
                "assigned_on": a.assigned_on,
                "announced": a.uscc in on_file,
            }
            for a in earliest(arriving).values()
        ]
        if not rows:
            return []
        statement = insert(assignments).values(rows)
        new = statement.excluded
        known = assignments.c
        result = await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=["campaign_id", "uscc", "institution_id"],
                set_={
                    "assigned_on": new.assigned_on,
                    "way": new.way,
                    "announced": or_(new.announced, known.announced),
                },
                # The rule of Assignment.precedes (way values are ASCII: any collation).
                where=tuple_(new.assigned_on, new.way) < tuple_(known.assigned_on, known.way),
            ).returning(
                *_assignment_columns(),
                known.announced,
                # A row just inserted has no deleting transaction; an updated one has ours.
                literal_column("xmax = 0").label("created"),
            )
        )
        return [
            AssignmentChange(
                campaign_id, _assignment(row), created=row["created"], announced=row["announced"]
            )
            for row in result.mappings()
        ]

    async def announce_waiting(self, campaign_id: str, usccs: Iterable[str]) -> list[Assignment]:
        codes = sorted(set(usccs))
        if not codes:
            return []
        result = await self._connection.execute(
            update(assignments)
            .where(
                assignments.c.campaign_id == campaign_id,
                assignments.c.uscc.in_(codes),
                assignments.c.announced.is_(False),
            )
            .values(announced=True)
            .returning(*_assignment_columns())
        )
        return [_assignment(row) for row in result.mappings()]


def _assignment_columns() -> tuple[Column[Any], ...]:
    c = assignments.c
    return (c.uscc, c.institution_id, c.assigned_on, c.way)


def _assignment(row: RowMapping) -> Assignment:
    return Assignment(
        uscc=row["uscc"],
        institution_id=row["institution_id"],
        assigned_on=row["assigned_on"],
        way=AssignmentWay(row["way"]),
    )
