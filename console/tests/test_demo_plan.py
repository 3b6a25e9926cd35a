"""The demo's plan: deterministic, valid by the platform's own rules, and shaped to show
each rule arise."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from console.demo.plan import (
    CHEATING_BANK,
    COUNTY_WITHOUT_FAIR,
    VILLAGE_BANKS,
    Shape,
    by_day,
    demo_reference_toml,
    plan_campaign,
)
from shared.contracts.bank import LoanIssued
from shared.reference import PACKAGED_REFERENCE_FILE, ReferenceData, load_reference
from shared.validators import is_valid_uscc


def reference(tmp_path: Path) -> ReferenceData:
    path = tmp_path / "reference.toml"
    path.write_text(demo_reference_toml(PACKAGED_REFERENCE_FILE.read_text()))
    return load_reference(path)


def test_the_same_seed_plays_the_same_campaign(tmp_path: Path) -> None:
    known = reference(tmp_path)
    first, again = plan_campaign(known, 400, 7), plan_campaign(known, 400, 7)
    assert first == again
    assert plan_campaign(known, 400, 8) != first


def test_the_plan_is_valid_and_shows_every_rule(tmp_path: Path) -> None:
    known = reference(tmp_path)
    assert {b for b, _ in VILLAGE_BANKS} <= known.institution_ids
    plan = plan_campaign(known, 600, 2020)
    assert len(plan.enterprises) == 600
    assert all(is_valid_uscc(e.uscc) for e in plan.enterprises)
    assert len({e.uscc for e in plan.enterprises}) == 600
    assert COUNTY_WITHOUT_FAIR not in {f.county_code for f in plan.fairs}
    assert len(plan.fairs) == len(known.counties) - 1
    claims = Counter(
        e.institution_id
        for e in plan.bank_events
        if isinstance(e.data, LoanIssued) and e.data.loan_id.startswith("F")
    )
    assert claims[CHEATING_BANK] >= known.thresholds.falsification_anomalies
    assert len({e.event_id for e in plan.bank_events}) == len(plan.bank_events)
    days = by_day(plan)
    assert min(days) >= known.campaign.start
    assert sum(len(a.get("matches", [])) for a in days.values()) == len(plan.matches)


def test_a_shape_moves_when_pairings_and_loans_happen_and_who_lends_at_what_pace(
    tmp_path: Path,
) -> None:
    known = reference(tmp_path)
    stall_from, stall_to = date(2020, 10, 10), date(2020, 11, 1)
    shape = Shape(
        county_pace={"140902": 0.0},
        pairing_activity=((stall_from, 0.0), (stall_to, 1.0)),
        fairs_between=(date(2020, 9, 15), date(2020, 10, 1)),
        lends_from={"icbc": date(2020, 12, 1)},
    )
    plan = plan_campaign(known, 800, 2020, shape)
    assert plan != plan_campaign(known, 800, 2020)
    assert not [m for m in plan.matches if stall_from <= m.matched_on < stall_to]
    loans = [e.data for e in plan.bank_events if isinstance(e.data, LoanIssued)]
    first_loans = [loan for loan in loans if loan.loan_id.startswith("L")]
    assert all(
        loan.issued_on >= date(2020, 12, 1) for loan in first_loans if loan.institution_id == "icbc"
    )
    xinfu = {e.uscc for e in plan.enterprises if e.county_code == "140902"}
    assert not [loan for loan in first_loans if loan.uscc in xinfu]
