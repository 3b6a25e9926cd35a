"""Campaigns of different shapes for the forecast's backtest, each drawn from a seed: the
demo's planner (`console.demo.plan`) played with another `Shape`.

Every plan has a few units behind the others (some none), and its own size, pairing share
and credit rate, so that no plan's figures are the figures of another; its shape is one of:

- `steady`: pairing goes on at the same pace all campaign;
- `slow_start`: little pairing until mid or late October, then a rush (the fairs come late
  too);
- `mid_stall`: pairing stops for three to five weeks in October or November, then resumes;
- `far_behind`: three or four counties and one or two banks at a fraction of the usual pace;
- `last_month_bank`: one bank (not a village bank) pairs as usual and issues no loan in the
  campaign's first three months;
- `growing_listings`: about half the list is nominated after the deadline, well into
  November.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from console.demo.plan import Plan, Shape, plan_campaign
from shared.reference import ReferenceData

SHAPES = (
    "steady",
    "slow_start",
    "mid_stall",
    "far_behind",
    "last_month_bank",
    "growing_listings",
)


@dataclass(frozen=True)
class ShapedPlan:
    shape: str
    seed: int
    enterprises: int
    dynamics: Shape


def shaped_plan(reference: ReferenceData, shape: str, seed: int) -> ShapedPlan:
    """The campaign of `shape` drawn from `seed`: the same pair always gives the same one."""
    draw = random.Random(f"{shape}/{seed}")
    counties = [c.code for c in reference.counties]
    banks = [i.id for i in reference.institutions if reference.targets_for_institution(i.id)]
    behind_counties, behind_banks = draw.randint(0, 2), draw.randint(0, 1)
    slowest = 0.2
    if shape == "far_behind":
        behind_counties, behind_banks, slowest = draw.randint(3, 4), draw.randint(1, 2), 0.15
    county_pace = {c: draw.uniform(slowest, 0.7) for c in draw.sample(counties, behind_counties)}
    institution_pace = {b: draw.uniform(slowest, 0.7) for b in draw.sample(banks, behind_banks)}
    enterprises = draw.randint(5000, 6000)
    dynamics = Shape(
        county_pace=county_pace,
        institution_pace=institution_pace,
        credit_rate=draw.uniform(0.74, 0.82),
        pairing_share=draw.uniform(0.85, 0.92),
    )
    start, end = reference.campaign.start, reference.campaign.end
    if shape == "slow_start":
        rush = date(2020, 10, 10) + timedelta(days=draw.randint(0, 21))
        dynamics = replace(
            dynamics,
            pairing_activity=((start, draw.uniform(0.1, 0.3)), (rush, draw.uniform(1.6, 2.2))),
            fairs_between=(rush, rush + timedelta(days=20)),
        )
    elif shape == "mid_stall":
        stall = date(2020, 10, 5) + timedelta(days=draw.randint(0, 25))
        resumed = stall + timedelta(days=draw.randint(21, 35))
        dynamics = replace(
            dynamics,
            pairing_activity=((stall, 0.0), (resumed, draw.uniform(1.0, 1.5))),
            fairs_between=(date(2020, 9, 12), stall - timedelta(days=3)),
        )
    elif shape == "last_month_bank":
        late_bank = draw.choice([b for b in banks if reference.category_of(b).id != "village_bank"])
        dynamics = replace(dynamics, lends_from={late_bank: end - timedelta(days=30)})
    elif shape == "growing_listings":
        enterprises = round(enterprises * 1.1)
        dynamics = replace(
            dynamics,
            late_listing_share=draw.uniform(0.4, 0.6),
            late_listing_until=date(2020, 11, 10) + timedelta(days=draw.randint(0, 15)),
            pairing_until=date(2020, 12, 10),
        )
    return ShapedPlan(shape, seed, enterprises, dynamics)


def shaped_plans(reference: ReferenceData, count: int, seed: int) -> list[ShapedPlan]:
    """`count` plans, the shapes in turn, each from its own seed."""
    return [
        shaped_plan(reference, SHAPES[n % len(SHAPES)], seed + n // len(SHAPES))
        for n in range(count)
    ]


def planned(reference: ReferenceData, shaped: ShapedPlan) -> Plan:
    return plan_campaign(reference, shaped.enterprises, shaped.seed, shaped.dynamics)
