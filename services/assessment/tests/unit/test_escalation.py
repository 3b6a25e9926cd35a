"""The escalation ladder (contract §5 rule 7): raise, upgrade, resolve, repeated checkpoints."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.domain.attainment import Attainment, attainment
from assessment.domain.escalation import (
    Changes,
    Finding,
    OpenEscalation,
    checkpoint_findings,
    reconcile,
)
from assessment.domain.facts import Loan
from assessment.domain.first_loan import EnterpriseOutcome, FirstLoan
from shared.contracts.assessment import EscalationReason, Severity
from shared.reference import load_reference

REFERENCE = load_reference()
UNDER = EscalationReason.UNDER_TARGET
LEDGER = EscalationReason.LEDGER_OVERDUE
XINFU = "140902"


def finding(unit_id: str, severity: Severity, reason: EscalationReason = UNDER) -> Finding:
    return Finding(unit_id, "county", reason, severity)


def opened(unit_id: str, severity: Severity, reason: EscalationReason = UNDER) -> OpenEscalation:
    return OpenEscalation(f"e-{unit_id}-{reason.value}", unit_id, reason, severity)


def test_a_finding_without_an_open_escalation_raises_one() -> None:
    changes = reconcile([], [finding(XINFU, Severity.WARNING)], frozenset({UNDER}))
    assert changes == Changes(raised=(finding(XINFU, Severity.WARNING),))


def test_a_higher_finding_upgrades_and_a_lower_one_never_downgrades() -> None:
    warning = opened(XINFU, Severity.WARNING)
    up = reconcile([warning], [finding(XINFU, Severity.TALK)], frozenset({UNDER}))
    assert up == Changes(upgraded=((warning, finding(XINFU, Severity.TALK)),))
    talk = opened(XINFU, Severity.TALK)
    assert reconcile([talk], [finding(XINFU, Severity.WARNING)], frozenset({UNDER})) == Changes()


def test_the_strongest_of_several_findings_for_one_unit_and_reason_counts() -> None:
    found = [finding(XINFU, Severity.WARNING), finding(XINFU, Severity.CIRCULAR)]
    assert reconcile([], found, frozenset({UNDER})).raised == (found[1],)


def test_only_an_evaluated_reason_can_recover() -> None:
    under, ledger = opened(XINFU, Severity.TALK), opened(XINFU, Severity.WARNING, LEDGER)
    changes = reconcile([under, ledger], [], frozenset({UNDER}))
    assert changes == Changes(resolved=(under,))


def test_a_talk_becomes_a_circular_at_the_next_checkpoint() -> None:
    """Between the talk and the circular ratios: a talk; the same at the next checkpoint,
    after that talk: a circular, upgrading the open escalation."""
    thresholds = REFERENCE.thresholds
    between = (thresholds.talk_ratio + thresholds.circular_ratio) / 2
    day = date(2020, 12, 31)
    expected = attainment([], REFERENCE, day).unit(XINFU).expected
    assert expected is not None
    needed = round(expected.first_loans * between)
    current = _with_first_loans(XINFU, needed, day)
    ratio = current.unit(XINFU).attainment_ratio
    assert ratio is not None
    assert thresholds.circular_ratio <= ratio < thresholds.talk_ratio

    def at_checkpoint(talked: frozenset[str]) -> Finding:
        found = checkpoint_findings(current, REFERENCE, talked, frozenset({XINFU}))
        return next(f for f in found if f.unit_id == XINFU and f.reason is UNDER)

    talk = at_checkpoint(frozenset())
    assert talk.severity is Severity.TALK
    raised = reconcile([], [talk], frozenset({UNDER}))
    assert raised.raised == (talk,)
    circular = at_checkpoint(frozenset({XINFU}))
    assert circular.severity is Severity.CIRCULAR
    open_talk = opened(XINFU, Severity.TALK)
    assert reconcile([open_talk], [circular], frozenset({UNDER})).upgraded == (
        (open_talk, circular),
    )


def _with_first_loans(county: str, count: int, day: date) -> Attainment:
    outcomes = [
        EnterpriseOutcome(
            f"U{n}",
            county,
            FirstLoan(Loan("icbc", f"L{n}", f"U{n}", date(2020, 10, 1), True), county),
            (),
            frozenset(),
        )
        for n in range(count)
    ]
    return attainment(outcomes, REFERENCE, day)


UNITS = st.sampled_from([XINFU, "140981", "icbc"])
SEVERITIES = st.sampled_from(list(Severity))
REASONS = st.sampled_from([UNDER, LEDGER])
FINDINGS = st.lists(st.builds(finding, UNITS, SEVERITIES, REASONS), max_size=8)
OPEN = st.lists(st.builds(opened, UNITS, SEVERITIES, REASONS), max_size=6).map(
    lambda escalations: list({(e.unit_id, e.reason): e for e in escalations}.values())
)


def applied(open_escalations: list[OpenEscalation], changes: Changes) -> list[OpenEscalation]:
    """The open escalations after the changes, as storage would keep them."""
    resolved = {e.escalation_id for e in changes.resolved}
    upgraded = {e.escalation_id: f.severity for e, f in changes.upgraded}
    after = [
        OpenEscalation(
            e.escalation_id, e.unit_id, e.reason, upgraded.get(e.escalation_id, e.severity)
        )
        for e in open_escalations
        if e.escalation_id not in resolved
    ]
    after += [opened(f.unit_id, f.severity, f.reason) for f in changes.raised]
    return after


@settings(max_examples=300, deadline=None)
@given(open_escalations=OPEN, findings=FINDINGS, evaluated=st.frozensets(REASONS))
def test_reconciling_twice_changes_nothing_the_second_time(
    open_escalations: list[OpenEscalation],
    findings: list[Finding],
    evaluated: frozenset[EscalationReason],
) -> None:
    once = applied(open_escalations, reconcile(open_escalations, findings, evaluated))
    assert reconcile(once, findings, evaluated) == Changes()
