"""Backtest of the forecast on the demo campaign (`make demo`'s plan, counted with the
platform's own rules, no services): on each day from the warning day on, which units the
`projected_shortfall` rule flags; then, of the units that ended under target, how many were
flagged and how early, and how many flagged units reached their target after all.

    .venv/bin/python -m bench.forecast_backtest [--enterprises 5000] [--seed 2020]

The listing is the plan's nominations (a nomination the roster would reject is listed here
too), assignments are bank nominations and matches; loans and reversals are the plan's bank
events.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from assessment.domain.attainment import attainment
from assessment.domain.facts import Assignment, EnterpriseFacts, ListingChange, Loan, Reversal
from assessment.domain.first_loan import CampaignWindow, evaluate
from assessment.domain.forecast import first_loan_days, forecasts, shortfall_findings
from assessment.domain.history import Fact, facts_by_enterprise
from console.demo.plan import Plan, demo_reference_toml, plan_campaign
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.reference import PACKAGED_REFERENCE_FILE, ReferenceData


def demo_reference() -> ReferenceData:
    raw = tomllib.loads(demo_reference_toml(PACKAGED_REFERENCE_FILE.read_text()))
    return ReferenceData.model_validate(raw)


def plan_facts(plan: Plan) -> dict[str, EnterpriseFacts]:
    facts: list[Fact] = []
    for enterprise in plan.enterprises:
        facts.append(
            ListingChange(enterprise.uscc, enterprise.nominated_on, True, enterprise.county_code)
        )
        if enterprise.institution_id:
            facts.append(
                Assignment(enterprise.uscc, enterprise.institution_id, enterprise.nominated_on)
            )
    facts += [Assignment(m.uscc, m.institution_id, m.matched_on) for m in plan.matches]
    for event in plan.bank_events:
        data = event.data
        if isinstance(data, LoanIssued):
            facts.append(
                Loan(
                    data.institution_id,
                    data.loan_id,
                    data.uscc,
                    data.issued_on,
                    data.first_loan_attested,
                    str(data.amount_wan),
                )
            )
        elif isinstance(data, LoanReversed):
            facts.append(Reversal(data.institution_id, data.loan_id, data.reversed_on))
    return facts_by_enterprise(facts)


@dataclass(frozen=True)
class UnitResult:
    unit_id: str
    name: str
    target: int
    ended_with: int
    first_flagged: date | None
    flagged_days: int


def backtest(
    reference: ReferenceData, facts: dict[str, EnterpriseFacts], days: Iterable[date]
) -> list[UnitResult]:
    campaign = reference.campaign
    window = CampaignWindow(campaign.start, campaign.end, campaign.look_back_years)
    flagged: dict[str, list[date]] = {}
    for day in days:
        outcomes = [evaluate(f, window, day) for f in facts.values()]
        current = attainment(outcomes, reference, day)
        projected = forecasts(current, first_loan_days(outcomes), reference)
        for finding in shortfall_findings(current, projected, reference):
            flagged.setdefault(finding.unit_id, []).append(day)
    end = attainment(
        [evaluate(f, window, campaign.end) for f in facts.values()], reference, campaign.end
    )
    return [
        UnitResult(
            unit.unit_id,
            unit.name,
            unit.targets.first_loans,
            unit.first_loans,
            min(flagged[unit.unit_id]) if unit.unit_id in flagged else None,
            len(flagged.get(unit.unit_id, ())),
        )
        for unit in (*end.counties, *end.institutions)
        if unit.targets is not None
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--every", type=int, default=1, help="look every N days")
    options = parser.parse_args()
    reference = demo_reference()
    campaign = reference.campaign
    facts = plan_facts(plan_campaign(reference, options.enterprises, options.seed))
    first = campaign.start + timedelta(days=reference.forecast.shortfall_from_campaign_day - 1)
    days = [
        first + timedelta(days=n) for n in range(0, (campaign.end - first).days + 1, options.every)
    ]
    results = backtest(reference, facts, days)
    print(f"{'unit':<10} {'name':<16} {'target':>6} {'ended':>6}  first flagged (day)  days")
    for r in results:
        when = (
            f"{r.first_flagged} ({campaign.day_number(r.first_flagged):>3})"
            if r.first_flagged
            else "-"
        )
        print(
            f"{r.unit_id:<10} {r.name[:16]:<16} {r.target:>6} {r.ended_with:>6}  "
            f"{when:<19}  {r.flagged_days}"
        )
    under = [r for r in results if r.ended_with < r.target]
    caught = [r for r in under if r.first_flagged is not None]
    false_alarms = [r for r in results if r.ended_with >= r.target and r.first_flagged]
    print(f"\nunits with a target: {len(results)}; ended under target: {len(under)}")
    print(f"flagged before the end: {len(caught)} of {len(under)}")
    if caught:
        leads = sorted((campaign.end - r.first_flagged).days for r in caught if r.first_flagged)
        firsts = sorted(campaign.day_number(r.first_flagged) for r in caught if r.first_flagged)
        print(
            f"first flagged on campaign day {firsts[0]}..{firsts[-1]} "
            f"(median {firsts[len(firsts) // 2]}); "
            f"days before the end: median {leads[len(leads) // 2]}, least {leads[0]}"
        )
    print(
        f"flagged but reached the target: {len(false_alarms)} {[r.unit_id for r in false_alarms]}"
    )


if __name__ == "__main__":
    main()
