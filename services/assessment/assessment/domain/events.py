"""The events assessment publishes, built from what the rules decided: a unit's figures
(`AttainmentUpdated`) and a step up the ladder (`EscalationRaised`)."""

from __future__ import annotations

from datetime import date, datetime

from assessment.domain.attainment import UnitAttainment
from assessment.domain.escalation import Finding
from shared.contracts.assessment import (
    AttainmentUpdated,
    EscalationRaised,
    Figures,
    Severity,
    UnitLevel,
)


def raised_event(
    escalation_id: str,
    finding: Finding,
    previous: Severity | None,
    as_of: date,
    now: datetime,
    campaign_id: str | None = None,
) -> EscalationRaised:
    return EscalationRaised(
        campaign_id=campaign_id,
        escalation_id=escalation_id,
        unit_id=finding.unit_id,
        level=UnitLevel(finding.level),
        reason=finding.reason,
        severity=finding.severity,
        previous_severity=previous,
        raised_at=now,
        as_of=as_of,
        figures=dict(finding.figures),
        evidence=[dict(e) for e in finding.evidence],
    )


def attainment_event(
    unit_attainment: UnitAttainment, as_of: date, campaign_id: str | None = None
) -> AttainmentUpdated:
    targets, expected = unit_attainment.targets, unit_attainment.expected
    return AttainmentUpdated(
        campaign_id=campaign_id,
        unit_id=unit_attainment.unit_id,
        level=UnitLevel(unit_attainment.level),
        as_of=as_of,
        cultivated=unit_attainment.cultivated,
        first_loans=unit_attainment.first_loans,
        first_loan_rate=unit_attainment.first_loan_rate,
        targets=None
        if targets is None
        else Figures(cultivated=targets.cultivated, first_loans=targets.first_loans),
        expected=None
        if expected is None
        else Figures(
            cultivated=round(expected.cultivated), first_loans=round(expected.first_loans)
        ),
        attainment_ratio=unit_attainment.attainment_ratio,
        status=unit_attainment.status.value,
    )
