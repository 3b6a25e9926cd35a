"""Backtest of the forecast's `projected_shortfall` warning: campaigns of several shapes
(`bench/forecast_plans.py`) and the demo's own plan, counted with the platform's rules and
replayed day by day through the functions assessment's daily tick runs (no services): on
each day every enterprise is evaluated, each unit's funnel taken on that day and the days
the warning rests on, and `shortfall_findings` says which units it warns.

    .venv/bin/python -m bench.forecast_backtest [--plans 12] [--seed 1] [--jobs 1]

Over the units with a target of all generated plans, and per shape, it reports `recall`
(the units that ended under target and were warned), `lead_days_median` (days from their
first warning to the campaign's end), `false_flag_rate` (the units that reached the target
but were ever warned) and `flag_days_false_median` (how many days those were warned), with
the reference data's `shortfall_from_campaign_day`; and `informative_from_campaign_day`, the
earliest day from which warnings keep the false-flag rate within 0.1 in every shape. The
replay warns from the campaign's first day, so that the figures for any first day are the
replay's warnings from that day on: the rule's first day only drops the warnings before it.
For the demo's plan it reports how many units are warned and from when. Everything goes to
`bench/results/forecast-<timestamp>.json`.

The listing is a plan's nominations (a nomination the roster would reject is listed here
too), assignments are bank nominations and matches, pairings are matches; loans and
reversals are the plan's bank events.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tomllib
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from assessment.domain.attainment import attainment
from assessment.domain.facts import (
    Assignment,
    EnterpriseFacts,
    ListingChange,
    Loan,
    Pairing,
    Reversal,
)
from assessment.domain.first_loan import campaign_window, evaluate
from assessment.domain.forecast import (
    decision_rule,
    shortfall_findings,
    unit_funnels,
    warning_days,
)
from assessment.domain.history import Fact, facts_by_enterprise
from bench.forecast_plans import SHAPES, ShapedPlan, planned, shaped_plans
from bench.report import RESULTS, machine
from console.demo.plan import Plan, demo_reference_toml, plan_campaign
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.reference import PACKAGED_REFERENCE_FILE, ReferenceData
from shared.workdays import add_workdays

TARGET_FALSE_FLAG_RATE = 0.1
DEMO = "demo"


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
    facts += [Pairing(m.uscc, m.institution_id, m.matched_on) for m in plan.matches]
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
    warned_on: tuple[date, ...]
    """Every day the replay warned the unit, from the campaign's first day."""

    @property
    def missed(self) -> bool:
        return self.ended_with < self.target

    def warned_from(self, first_day: date) -> list[date]:
        return [day for day in self.warned_on if day >= first_day]


@dataclass(frozen=True)
class PlanResult:
    shape: str
    seed: int
    enterprises: int
    units: tuple[UnitResult, ...]


def replay(reference: ReferenceData, facts: dict[str, EnterpriseFacts]) -> list[UnitResult]:
    """Every unit with a target: its first-loan households at the end, and the days the
    warning was raised, the rule applied from the campaign's first day."""
    campaign, method = reference.campaign, reference.forecast
    from_first_day = reference.model_copy(
        update={"forecast": method.model_copy(update={"shortfall_from_campaign_day": 1})}
    )
    window = campaign_window(reference)
    decided_by = decision_rule(reference, add_workdays)
    warned: dict[str, list[date]] = {}
    for day in (campaign.start + timedelta(days=n) for n in range(campaign.days)):
        outcomes = [evaluate(f, window, day) for f in facts.values()]
        current = attainment(outcomes, reference, day)
        days = warning_days(day, reference)
        recent = unit_funnels(facts, outcomes, days, decided_by, method.weeks)
        for finding in shortfall_findings(current, recent, from_first_day, decided_by):
            warned.setdefault(finding.unit_id, []).append(day)
    end = attainment(
        [evaluate(f, window, campaign.end) for f in facts.values()], reference, campaign.end
    )
    return [
        UnitResult(
            unit.unit_id,
            unit.name,
            unit.targets.first_loans,
            unit.first_loans,
            tuple(warned.get(unit.unit_id, ())),
        )
        for unit in (*end.counties, *end.institutions)
        if unit.targets is not None
    ]


def replay_shaped(shaped: ShapedPlan) -> PlanResult:
    reference = demo_reference()
    units = replay(reference, plan_facts(planned(reference, shaped)))
    return PlanResult(shaped.shape, shaped.seed, shaped.enterprises, tuple(units))


def replay_demo(enterprises: int, seed: int) -> PlanResult:
    reference = demo_reference()
    units = replay(reference, plan_facts(plan_campaign(reference, enterprises, seed)))
    return PlanResult(DEMO, seed, enterprises, tuple(units))


def median(values: Sequence[int]) -> float | None:
    return statistics.median(values) if values else None


def scores(units: Iterable[UnitResult], first_day: date, end: date) -> dict[str, Any]:
    """The warning's figures over `units`, warnings counted from `first_day`."""
    missed: list[UnitResult] = []
    reached: list[UnitResult] = []
    for unit in units:
        (missed if unit.missed else reached).append(unit)
    caught = [u for u in missed if u.warned_from(first_day)]
    false = [u for u in reached if u.warned_from(first_day)]
    return {
        "units": len(missed) + len(reached),
        "ended_under_target": len(missed),
        "warned_and_under": len(caught),
        "warned_but_reached": len(false),
        "recall": round(len(caught) / len(missed), 3) if missed else None,
        "lead_days_median": median([(end - u.warned_from(first_day)[0]).days for u in caught]),
        "false_flag_rate": round(len(false) / len(reached), 3) if reached else None,
        "flag_days_false_median": median([len(u.warned_from(first_day)) for u in false]),
        "not_warned_under_target": [_brief(u) for u in missed if u not in caught],
        "warned_but_reached_units": [_brief(u) for u in false],
    }


def _brief(unit: UnitResult) -> dict[str, Any]:
    return {"unit_id": unit.unit_id, "target": unit.target, "ended_with": unit.ended_with}


def by_shape(plans: Sequence[PlanResult], first_day: date, end: date) -> dict[str, Any]:
    return {
        shape: scores((u for p in plans if p.shape == shape for u in p.units), first_day, end)
        for shape in SHAPES
        if any(p.shape == shape for p in plans)
    }


def informative_day(plans: Sequence[PlanResult], reference: ReferenceData) -> int | None:
    """The earliest campaign day from which warnings keep the false-flag rate within the
    target in every shape."""
    campaign = reference.campaign
    for number in range(1, campaign.days + 1):
        first_day = campaign.start + timedelta(days=number - 1)
        rates = [s["false_flag_rate"] for s in by_shape(plans, first_day, campaign.end).values()]
        if all(rate is None or rate <= TARGET_FALSE_FLAG_RATE for rate in rates):
            return number
    return None


def plan_json(plan: PlanResult, first_day: date, end: date) -> dict[str, Any]:
    return {
        "shape": plan.shape,
        "seed": plan.seed,
        "enterprises": plan.enterprises,
        **scores(plan.units, first_day, end),
        "units_detail": [
            {
                "unit_id": u.unit_id,
                "target": u.target,
                "ended_with": u.ended_with,
                "first_warned": min(u.warned_from(first_day), default=None),
                "warned_days": len(u.warned_from(first_day)),
            }
            for u in plan.units
        ],
    }


def demo_json(demo: PlanResult, reference: ReferenceData, first_day: date) -> dict[str, Any]:
    campaign = reference.campaign
    warned = [u for u in demo.units if u.warned_from(first_day)]
    firsts = sorted(u.warned_from(first_day)[0] for u in warned)
    day_15 = campaign.start + timedelta(days=14)
    return {
        **scores(demo.units, first_day, campaign.end),
        "warned": len(warned),
        "warned_on_day_15": sum(day_15 in u.warned_from(first_day) for u in demo.units),
        "first_warning_day": campaign.day_number(firsts[0]) if firsts else None,
        "warned_units": [
            {
                "unit_id": u.unit_id,
                "name": u.name,
                "target": u.target,
                "ended_with": u.ended_with,
                "first_warned_day": campaign.day_number(u.warned_from(first_day)[0]),
                "warned_days": len(u.warned_from(first_day)),
            }
            for u in warned
        ],
    }


def report(
    plans: Sequence[PlanResult], demo: PlanResult, reference: ReferenceData
) -> dict[str, Any]:
    campaign, method = reference.campaign, reference.forecast
    first_day = campaign.start + timedelta(days=method.shortfall_from_campaign_day - 1)
    every_unit = [u for p in plans for u in p.units]
    return {
        "machine": machine(),
        "method": method.model_dump(),
        "plans_replayed": len(plans),
        **scores(every_unit, first_day, campaign.end),
        "shapes": by_shape(plans, first_day, campaign.end),
        "informative_from_campaign_day": informative_day(plans, reference),
        "demo": demo_json(demo, reference, first_day),
        "plans": [plan_json(p, first_day, campaign.end) for p in plans],
    }


def write(results: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"forecast-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def summary(results: dict[str, Any]) -> str:
    keys = ("recall", "lead_days_median", "false_flag_rate", "flag_days_false_median")
    header = f"{'':<18} {'units':>5} {'under':>5} " + " ".join(f"{k:>22}" for k in keys)

    def line(name: str, figures: dict[str, Any]) -> str:
        values = " ".join(f"{'-' if figures[k] is None else figures[k]!s:>22}" for k in keys)
        return f"{name:<18} {figures['units']:>5} {figures['ended_under_target']:>5} {values}"

    lines = [header, line("all plans", results)]
    lines += [line(shape, figures) for shape, figures in results["shapes"].items()]
    lines.append(line("demo's plan", results["demo"]))
    demo = results["demo"]
    lines.append(
        f"\nwarnings from campaign day {results['method']['shortfall_from_campaign_day']}; "
        f"informative from day {results['informative_from_campaign_day']} "
        f"(false-flag rate within {TARGET_FALSE_FLAG_RATE} in every shape)"
    )
    lines.append(
        f"demo: {demo['warned']} units warned, the first on day {demo['first_warning_day']}; "
        f"on day 15: {demo['warned_on_day_15']}"
    )
    lines += [
        f"  {u['unit_id']:<10} {u['name']:<12} target {u['target']:>4}, ended {u['ended_with']:>4}"
        f", warned from day {u['first_warned_day']} ({u['warned_days']} days)"
        for u in demo["warned_units"]
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=12, help="generated campaigns to replay")
    parser.add_argument("--seed", type=int, default=1, help="the first generated plan's seed")
    parser.add_argument("--jobs", type=int, default=1, help="plans replayed side by side")
    parser.add_argument("--enterprises", type=int, default=5000, help="in the demo's plan")
    parser.add_argument("--demo-seed", type=int, default=2020)
    options = parser.parse_args()
    reference = demo_reference()
    shaped = shaped_plans(reference, options.plans, options.seed)
    with ProcessPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        demo = pool.submit(replay_demo, options.enterprises, options.demo_seed)
        plans = list(pool.map(replay_shaped, shaped))
        results = report(plans, demo.result(), reference)
    print(summary(results))
    print(f"\n{write(results)}")


if __name__ == "__main__":
    main()
