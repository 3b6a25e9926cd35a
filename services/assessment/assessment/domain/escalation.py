"""Escalations (contract §5 rule 7): what the rules find, and how findings move the ladder
`warning` (预警) → `talk` (约谈) → `circular` (通报).

A rule produces `Finding`s for one moment. `reconcile` compares them with the open
escalations: a finding with no open escalation for its (unit, reason) raises one; a finding
of a higher severity upgrades it (keeping its history); an open escalation whose reason the
moment evaluated and found nothing for is resolved (recovery). A lower finding never
downgrades an open escalation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assessment.domain.attainment import Attainment, UnitAttainment
from shared.contracts.assessment import EscalationReason, Severity
from shared.reference import ReferenceData

RANK = {Severity.WARNING: 1, Severity.TALK: 2, Severity.CIRCULAR: 3}


@dataclass(frozen=True)
class Finding:
    unit_id: str
    level: str
    reason: EscalationReason
    severity: Severity
    figures: Mapping[str, Any] = field(default_factory=dict)
    evidence: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class OpenEscalation:
    escalation_id: str
    unit_id: str
    reason: EscalationReason
    severity: Severity
    campaign_id: str = ""
    """The campaign whose ladder raised it: each campaign's ladder moves its own."""


@dataclass(frozen=True)
class Changes:
    raised: tuple[Finding, ...] = ()
    upgraded: tuple[tuple[OpenEscalation, Finding], ...] = ()
    resolved: tuple[OpenEscalation, ...] = ()


def figures_of(unit: UnitAttainment) -> dict[str, Any]:
    return {
        "name": unit.name,
        "cultivated": unit.cultivated,
        "first_loans": unit.first_loans,
        "first_loan_rate": unit.first_loan_rate,
        "targets": None if unit.targets is None else unit.targets.model_dump(),
        "expected_first_loans": None if unit.expected is None else unit.expected.first_loans,
        "attainment_ratio": unit.attainment_ratio,
    }


def units_with_target(attainment: Attainment) -> Iterable[UnitAttainment]:
    return (u for u in (*attainment.counties, *attainment.institutions) if u.targets)


def under_target_warnings(attainment: Attainment, reference: ReferenceData) -> list[Finding]:
    """Warnings, from the campaign's warning day on (before it: none, and nothing is
    evaluated)."""
    thresholds = reference.thresholds
    if reference.campaign.day_number(attainment.as_of) < thresholds.warning_from_campaign_day:
        return []
    return [
        Finding(u.unit_id, u.level, EscalationReason.UNDER_TARGET, Severity.WARNING, figures_of(u))
        for u in units_with_target(attainment)
        if u.attainment_ratio is not None and u.attainment_ratio < thresholds.warning_ratio
    ]


EVIDENCE_SHOWN = 20
"""Contradicted claims an escalation shows (the earliest); its figures give how many there
are. A bank that claims falsely in bulk must not make one event larger than a record may be."""


def falsification_findings(
    reference: ReferenceData,
    anomalies: Mapping[str, int],
    evidence: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[Finding]:
    """A circular at once for an institution with enough contradicted first-loan claims;
    `evidence` may leave out the institutions whose escalation is open already."""
    return [
        Finding(
            institution,
            "institution",
            EscalationReason.DATA_FALSIFICATION,
            Severity.CIRCULAR,
            {"anomalies": count},
            tuple(evidence.get(institution, ())[:EVIDENCE_SHOWN]),
        )
        for institution, count in sorted(anomalies.items())
        if count >= reference.thresholds.falsification_anomalies
    ]


def checkpoint_findings(
    attainment: Attainment,
    reference: ReferenceData,
    talked_at_previous: frozenset[str],
    counties_with_fair: frozenset[str],
) -> list[Finding]:
    """At a checkpoint: under `talk_ratio` a talk; under `circular_ratio`, or under
    `talk_ratio` again after a talk at the previous checkpoint, a circular. At the campaign's
    end, a county that held no matchmaking fair gets a talk."""
    thresholds = reference.thresholds
    findings: list[Finding] = []
    for unit in units_with_target(attainment):
        ratio = unit.attainment_ratio
        if ratio is None or ratio >= thresholds.talk_ratio:
            continue
        repeated = unit.unit_id in talked_at_previous
        severity = (
            Severity.CIRCULAR if ratio < thresholds.circular_ratio or repeated else Severity.TALK
        )
        figures = {**figures_of(unit), "talked_at_previous_checkpoint": repeated}
        findings.append(
            Finding(unit.unit_id, unit.level, EscalationReason.UNDER_TARGET, severity, figures)
        )
    if attainment.as_of >= reference.campaign.end:
        findings += [
            Finding(
                county.code,
                "county",
                EscalationReason.NO_MATCHMAKING_FAIR,
                Severity.TALK,
                {"name": county.name, "fairs": 0},
            )
            for county in reference.counties
            if county.code not in counties_with_fair
        ]
    return findings


def ledger_findings(
    pending: Mapping[str, Sequence[str]], ever_overdue: Mapping[str, int]
) -> list[Finding]:
    """A unit with an overdue ledger still unsubmitted: a warning; once a second month of
    the same unit has gone overdue, a talk. Submitting every overdue ledger resolves it."""
    return [
        Finding(
            unit_id,
            "county" if unit_id.isdigit() else "institution",
            EscalationReason.LEDGER_OVERDUE,
            Severity.TALK if ever_overdue.get(unit_id, 0) >= 2 else Severity.WARNING,
            {
                "unsubmitted_overdue_months": sorted(months),
                "months_overdue": ever_overdue.get(unit_id, 0),
            },
        )
        for unit_id, months in pending.items()
        if months
    ]


def checkpoint_dates(reference: ReferenceData) -> list[date]:
    """Each quarter end inside the campaign, and the campaign's end."""
    campaign = reference.campaign
    ends = {
        date(year, month, 30 if month in (6, 9) else 31)
        for year in range(campaign.start.year, campaign.end.year + 1)
        for month in (3, 6, 9, 12)
    }
    return sorted({d for d in ends if campaign.contains(d)} | {campaign.end})


def reconcile(
    open_escalations: Iterable[OpenEscalation],
    findings: Iterable[Finding],
    evaluated: frozenset[EscalationReason],
) -> Changes:
    """`evaluated`: the reasons this moment looked at; only those can recover."""
    by_key = {(e.unit_id, e.reason): e for e in open_escalations}
    strongest: dict[tuple[str, EscalationReason], Finding] = {}
    for finding in findings:
        key = (finding.unit_id, finding.reason)
        if key not in strongest or RANK[finding.severity] > RANK[strongest[key].severity]:
            strongest[key] = finding
    raised = tuple(f for key, f in strongest.items() if key not in by_key)
    upgraded = tuple(
        (by_key[key], f)
        for key, f in strongest.items()
        if key in by_key and RANK[f.severity] > RANK[by_key[key].severity]
    )
    resolved = tuple(
        e for key, e in by_key.items() if e.reason in evaluated and key not in strongest
    )
    return Changes(raised=raised, upgraded=upgraded, resolved=resolved)
