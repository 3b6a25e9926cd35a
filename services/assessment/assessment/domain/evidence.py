"""The evidence of false first-loan claims, as escalations, events and the API show it: each
claim with the earlier loans that contradict it, in JSON's terms (dates in ISO form, amounts
as decimal strings), grouped by the institution that made the claim."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from assessment.domain.facts import Loan
from assessment.domain.first_loan import Anomaly, EnterpriseOutcome

LOAN_FIELDS = tuple(f.name for f in fields(Loan))
_DATES = ("issued_on", "applied_on")


def loan_json(loan: Loan) -> dict[str, Any]:
    """The loan as JSON: dates in ISO form, the amount a decimal string."""
    data = {name: getattr(loan, name) for name in LOAN_FIELDS}
    for name in _DATES:
        data[name] = None if data[name] is None else data[name].isoformat()
    return data


def anomaly_json(anomaly: Anomaly) -> dict[str, Any]:
    return {
        "claim": loan_json(anomaly.claim),
        "evidence": [loan_json(e) for e in anomaly.evidence],
    }


def anomaly_evidence(outcomes: Iterable[EnterpriseOutcome]) -> dict[str, list[dict[str, Any]]]:
    """Each institution's contradicted claims, earliest first."""
    evidence: dict[str, list[dict[str, Any]]] = {}
    for outcome in outcomes:
        for anomaly in outcome.anomalies:
            evidence.setdefault(anomaly.claim.institution_id, []).append(anomaly_json(anomaly))
    for claims in evidence.values():
        claims.sort(key=lambda a: (a["claim"]["issued_on"], a["claim"]["loan_id"]))
    return evidence
