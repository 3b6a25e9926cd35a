"""The daily forecast: each unit's series of first-loan households is stored once a day (from
the outcomes the tick has just brought up to date), and the `projected_shortfall` warnings
are raised or resolved from it. Nothing here runs per consumed event."""

from __future__ import annotations

from datetime import datetime

from assessment.domain.attainment import attainment
from assessment.domain.forecast import first_loan_days, forecasts, shortfall_findings
from assessment.evaluation import move_ladder
from assessment.storage import Store
from shared.contracts.assessment import EscalationReason
from shared.reference import ReferenceData
from shared.unit_of_work import UnitOfWork


async def refresh_forecasts(
    uow: UnitOfWork[Store], reference: ReferenceData, now: datetime
) -> None:
    """Once a day (a no-op when today's series is stored)."""
    today = now.date()
    if await uow.store.first_loan_series.computed_on() == today:
        return
    outcomes = await uow.store.outcomes.load()
    series = first_loan_days(outcomes)
    await uow.store.first_loan_series.replace(series, today)
    current = attainment(outcomes, reference, today)
    findings = shortfall_findings(current, forecasts(current, series, reference), reference)
    evaluated = frozenset({EscalationReason.PROJECTED_SHORTFALL})
    await move_ladder(uow, findings, evaluated, today, now)
