"""Cultivation plans (一企一策) and visits (入户走访)."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from matchmaking.domain.plans import Plan, Visit
from matchmaking.storage.tables import plans, visits
from shared.contracts.types import Problem


class PlanRepository(Protocol):
    async def get(self, uscc: str) -> Plan | None: ...
    async def lock(self, uscc: str) -> Plan | None:
        """The enterprise's plan, locked until the transaction ends (one revision at once)."""
        ...

    async def save(self, plan: Plan) -> None: ...


class VisitRepository(Protocol):
    async def add(self, visit: Visit) -> None: ...
    async def of(self, uscc: str) -> list[Visit]:
        """The enterprise's visits, by date."""
        ...


class SqlPlanRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, uscc: str) -> Plan | None:
        return await self._select(uscc, lock=False)

    async def lock(self, uscc: str) -> Plan | None:
        return await self._select(uscc, lock=True)

    async def _select(self, uscc: str, *, lock: bool) -> Plan | None:
        query = select(plans).where(plans.c.uscc == uscc)
        if lock:
            query = query.with_for_update()
        row = (await self._connection.execute(query)).first()
        return _plan(row) if row else None

    async def save(self, plan: Plan) -> None:
        values = {
            "plan_id": plan.plan_id,
            "version": plan.version,
            "institution_id": plan.institution_id,
            "responsible_person": plan.responsible_person,
            "problems": [p.value for p in plan.problems],
            "measures": list(plan.measures),
            "follow_up_dates": list(plan.follow_up_dates),
        }
        statement = insert(plans).values(uscc=plan.uscc, **values)
        await self._connection.execute(
            statement.on_conflict_do_update(index_elements=["uscc"], set_=values)
        )


def _plan(row: Any) -> Plan:
    return Plan(
        uscc=row.uscc,
        institution_id=row.institution_id,
        responsible_person=row.responsible_person,
        problems=tuple(Problem(p) for p in row.problems),
        measures=tuple(row.measures),
        follow_up_dates=tuple(row.follow_up_dates),
        plan_id=row.plan_id,
        version=row.version,
    )


class SqlVisitRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, visit: Visit) -> None:
        await self._connection.execute(
            visits.insert().values(
                visit_id=visit.visit_id,
                uscc=visit.uscc,
                institution_id=visit.institution_id,
                visited_on=visit.visited_on,
                visitor=visit.visitor,
                notes=visit.notes,
            )
        )

    async def of(self, uscc: str) -> list[Visit]:
        query = select(visits).where(visits.c.uscc == uscc).order_by(visits.c.visited_on)
        return [
            Visit(r.visit_id, r.uscc, r.institution_id, r.visited_on, r.visitor, r.notes)
            for r in await self._connection.execute(query)
        ]
