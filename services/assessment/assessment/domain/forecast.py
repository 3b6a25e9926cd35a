"""A projection of each unit's first-loan households at the campaign's end, from its funnel
(the parameters are `shared.reference.ForecastMethod`, the reference data's `[forecast]`).

A first loan comes at the end of a path: a bank pairs with a listed enterprise (银企对接), the
enterprise applies, the bank decides within the statutory service time (the campaign's
`credit_process_goal_workdays` working days) and the enterprise draws the loan. A pairing is
*decided* once the days to apply, the working days to decide and the days to draw have passed
(`decision_rule`). On a day, each listed enterprise of a unit without a first loan is

- *deciding*: paired, not yet decided: it may still become a first loan;
- *decided*: paired and decided without a first loan: lost to this campaign;
- *unpaired*: no bank has paired with it yet. A county's are its own; an institution's are its
  share of the city's (its share of the city's pairings or of its first loans, the larger).

The unit's *conversion* is the share of its decided pairings that became first loans, drawn
towards the city's (all counties together) by `prior_pairings` pairings' worth: a unit with few
decided pairings is judged like the city until its own speak. A pairing's conversion does not
depend on when in the campaign it was made, so a slow start or a stall of the whole city
moves no unit's conversion, while a unit that turns its pairings into loans at half the city's
rate shows it as soon as its first pairings are decided. Then

- the central projection is first loans + conversion x (deciding + the unpaired that the
  city's pairing pace of the last `weeks` weeks would still pair in time);
- the high end is first loans + conversion x (deciding + every unpaired enterprise) plus
  `interval_z` spreads: as if every enterprise still unpaired were paired in time;
- the low end is the central projection less `interval_z` spreads, never under what the
  unit has.

A spread is the binomial spread of that many conversions, widened by the uncertainty of the
conversion itself. Unpaired enterprises count only while a pairing made that day could
still be decided and drawn before the campaign's end.

A `projected_shortfall` warning is the high end under the target on each of the last
`shortfall_after_days` days, from the campaign's `shortfall_from_campaign_day` (the day from
which the backtest, `bench/forecast_backtest.py`, finds the warning informative). It is its
own reason and never upgrades.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, timedelta

from assessment.domain.attainment import Attainment, UnitAttainment
from assessment.domain.escalation import Finding, units_with_target
from assessment.domain.facts import EnterpriseFacts, ListingChange
from assessment.domain.first_loan import EnterpriseOutcome, FirstLoan
from assessment.domain.listing import county_on
from shared.contracts.assessment import EscalationReason, Severity
from shared.reference import Campaign, ForecastMethod, ReferenceData
from shared.workdays import CalendarNotCoveredError

DecisionRule = Callable[[date], date]
"""The day by which a pairing made on a day has been decided and drawn."""

AddWorkdays = Callable[[date, int], date]

FIRST_FULL_WEEK_DAY = 7
"""No forecast before the campaign's seventh day: nothing has had time to happen."""


def decision_rule(reference: ReferenceData, add_workdays: AddWorkdays) -> DecisionRule:
    """The days to apply, the statutory working days to decide, the days to draw."""
    method, campaign = reference.forecast, reference.campaign

    @functools.cache
    def decided_by(paired_on: date) -> date:
        applied = paired_on + timedelta(days=method.days_to_apply)
        workdays = campaign.credit_process_goal_workdays
        try:
            decided = add_workdays(applied, workdays)
        except CalendarNotCoveredError:
            # A projection may take weekdays for working days where the State Council has
            # not published the year's holidays yet; the daily tick must not stop for it.
            decided = _add_weekdays(applied, workdays)
        return decided + timedelta(days=method.days_to_draw)

    return decided_by


def _add_weekdays(start: date, count: int) -> date:
    day = start
    while count:
        day += timedelta(days=1)
        count -= day.weekday() < 5
    return day


@dataclass(frozen=True)
class Stages:
    """One enterprise as the forecast sees it, on the day its outcome was evaluated and on
    the days before it."""

    listing_changes: tuple[ListingChange, ...]
    assigned: Mapping[str, date]
    """By institution: the day of the earliest assignment to it."""
    paired: Mapping[str, date]
    """By institution: the day of the earliest pairing with it."""
    first_loan: FirstLoan | None

    def listing_on(self, day: date) -> tuple[str, date] | None:
        """The county the enterprise is listed in on `day` and the first day of that listing;
        None when it is not listed (a day's own, whatever later changes say)."""
        county = county_on(self.listing_changes, day)
        since = None if county is None else listed_since(self.listing_changes, day)
        return None if county is None or since is None else (county, since)


def enterprise_stages(facts: EnterpriseFacts, outcome: EnterpriseOutcome) -> Stages:
    """The enterprise, its outcome evaluated on the latest day its stages are read for."""
    return Stages(
        listing_changes=tuple(facts.listing_changes),
        assigned=_earliest((a.institution_id, a.assigned_on) for a in facts.assignments),
        paired=_earliest((p.institution_id, p.matched_on) for p in facts.pairings),
        first_loan=outcome.first_loan,
    )


def listed_since(changes: Iterable[ListingChange], day: date) -> date | None:
    """The first day of the listing the enterprise is in on `day` (a re-listing while listed
    continues it; a listing on a delisting's day starts a new one), None when not listed."""
    known = sorted((c for c in changes if c.on <= day), key=lambda c: (c.on, c.listed))
    since: date | None = None
    for change in known:
        if not change.listed:
            since = None
        elif since is None:
            since = change.on
    return since


def _earliest(pairs: Iterable[tuple[str, date]]) -> dict[str, date]:
    found: dict[str, date] = {}
    for institution, on in pairs:
        if institution not in found or on < found[institution]:
            found[institution] = on
    return found


@dataclass(frozen=True)
class Funnel:
    """A unit's enterprises on one day, stage by stage (for an institution: those assigned
    to or paired with it)."""

    listed: int = 0
    """Cultivated households: listed (an institution's: listed and assigned to it)."""
    paired: int = 0
    paired_lately: int = 0
    """Of the pairings, those made in the last `weeks` weeks."""
    decided: int = 0
    converted: int = 0
    """Of the decided pairings, those that became first loans."""
    deciding: int = 0
    """Pairings not yet decided, of enterprises without a first loan."""
    unpaired: int = 0
    """Listed, no pairing, no first loan (a county's own; none for an institution)."""
    first_loans: int = 0

    def __add__(self, other: Funnel) -> Funnel:
        return Funnel(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in _FIELDS})

    def as_json(self) -> dict[str, int]:
        return asdict(self)


_FIELDS = fields(Funnel)


def funnels(
    enterprises: Iterable[Stages], days: Sequence[date], decided_by: DecisionRule, weeks: int
) -> dict[date, dict[str, Funnel]]:
    """Each unit's funnel on each of `days` (on or before the day the stages are of)."""
    counts: dict[date, dict[str, dict[str, int]]] = {
        day: defaultdict(lambda: defaultdict(int)) for day in days
    }
    for enterprise in enterprises:
        for day in days:
            _count(counts[day], enterprise, day, decided_by, day - timedelta(weeks=weeks))
    return {
        day: {unit: Funnel(**figures) for unit, figures in units.items()}
        for day, units in counts.items()
    }


def unit_funnels(
    facts: Mapping[str, EnterpriseFacts],
    outcomes: Iterable[EnterpriseOutcome],
    days: Sequence[date],
    decided_by: DecisionRule,
    weeks: int,
) -> dict[date, dict[str, Funnel]]:
    """Each unit's funnel on each of `days`, from the enterprises' facts and their outcomes
    evaluated on a day on or after every one of them."""
    stages = (enterprise_stages(facts.get(o.uscc) or EnterpriseFacts(o.uscc), o) for o in outcomes)
    return funnels(stages, days, decided_by, weeks)


def _count(
    units: dict[str, dict[str, int]],
    enterprise: Stages,
    day: date,
    decided_by: DecisionRule,
    lately: date,
) -> None:
    first = enterprise.first_loan
    lent = first is not None and first.loan.issued_on <= day
    if first is not None and lent:
        units[first.county_code]["first_loans"] += 1
        units[first.loan.institution_id]["first_loans"] += 1
    listing = enterprise.listing_on(day)
    if listing is None:
        return
    county = listing[0]
    units[county]["listed"] += 1
    for institution, assigned_on in enterprise.assigned.items():
        if assigned_on <= day:
            units[institution]["listed"] += 1
    paired = {i: on for i, on in enterprise.paired.items() if on <= day}
    if not paired:
        if not lent:
            units[county]["unpaired"] += 1
        return
    _count_pairing(units[county], min(paired.values()), day, decided_by, lately, lent, lent)
    for institution, paired_on in paired.items():
        by_it = lent and first is not None and first.loan.institution_id == institution
        _count_pairing(units[institution], paired_on, day, decided_by, lately, lent, by_it)


def _count_pairing(
    unit: dict[str, int],
    paired_on: date,
    day: date,
    decided_by: DecisionRule,
    lately: date,
    lent: bool,
    converted: bool,
) -> None:
    unit["paired"] += 1
    if paired_on > lately:
        unit["paired_lately"] += 1
    if decided_by(paired_on) <= day:
        unit["decided"] += 1
        unit["converted"] += converted
    elif not lent:
        unit["deciding"] += 1


def city_funnel(funnels_of_day: Mapping[str, Funnel], reference: ReferenceData) -> Funnel:
    """All counties together: every listed enterprise is in one county."""
    return sum((funnels_of_day.get(c.code, Funnel()) for c in reference.counties), Funnel())


@dataclass(frozen=True)
class Forecast:
    first_loans: int
    low: int
    high: int
    conversion: float
    """The unit's conversion of decided pairings, drawn towards the city's."""
    city_conversion: float
    unpaired: float
    """The unpaired enterprises the unit may still pair (an institution's: its share of the
    city's); none once a pairing could not be decided in time."""
    unpaired_at_most: float
    """As many at most (the high end's)."""
    paired_in_time: float
    """The share of unpaired enterprises the city's recent pairing pace would pair in time."""
    funnel: Funnel
    city: Funnel


def project(
    level: str,
    funnel: Funnel,
    city: Funnel,
    as_of: date,
    reference: ReferenceData,
    decided_by: DecisionRule,
) -> Forecast | None:
    """The unit's forecast on `as_of`; None before the campaign's first full week."""
    campaign, method = reference.campaign, reference.forecast
    # Laplace's rule: with no decided pairing in the city yet, a conversion of one half.
    city_conversion = (city.converted + 1) / (city.decided + 2)
    weight = funnel.decided + method.prior_pairings
    conversion = (funnel.converted + method.prior_pairings * city_conversion) / weight
    if as_of >= campaign.end:
        done = funnel.first_loans
        return Forecast(done, done, done, conversion, city_conversion, 0, 0, 0, funnel, city)
    if campaign.day_number(as_of) < FIRST_FULL_WEEK_DAY:
        return None
    z = method.interval_z
    days_left = pairing_days_left(as_of, campaign.end, decided_by)
    pool, pool_at_most = _unpaired_pools(level, funnel, city, z) if days_left else (0.0, 0.0)
    paired_in_time = _share_paired_in_time(city, as_of, campaign, method, days_left)
    variance = conversion * (1 - conversion)
    conversion_variance = variance / (weight + 1)

    def spread(candidates: float) -> float:
        return math.sqrt(candidates * variance + candidates**2 * conversion_variance)

    likely = funnel.deciding + paired_in_time * pool
    most = funnel.deciding + pool_at_most
    central = funnel.first_loans + conversion * likely
    low = max(funnel.first_loans, math.floor(central - z * spread(likely)))
    # Never more than every candidate converting.
    high_end = min(conversion * most + z * spread(most), most)
    high = max(low, math.ceil(funnel.first_loans + high_end))
    projected = min(max(round(central), low), high)
    return Forecast(
        projected,
        low,
        high,
        conversion,
        city_conversion,
        pool,
        pool_at_most,
        paired_in_time,
        funnel,
        city,
    )


def _unpaired_pools(level: str, funnel: Funnel, city: Funnel, z: float) -> tuple[float, float]:
    """The unpaired enterprises the unit may still pair: likely, and at most. A county's are
    its own; an institution's are its share of the city's, taken at `z` binomial spreads
    above its share of the city's pairings at most (early, a share of few pairings says
    little)."""
    if level == "county":
        return float(funnel.unpaired), float(funnel.unpaired)
    # A bank that lends without recording its pairings keeps its share by its first loans;
    # an enterprise paired with two banks counts once in the city and once for each.
    shares = [
        (min(1.0, part / whole), whole)
        for part, whole in ((funnel.paired, city.paired), (funnel.first_loans, city.first_loans))
        if whole
    ]
    if not shares:
        # Nothing paired or lent in the city yet: no share is known, any is possible.
        return 0.0, float(city.unpaired)
    share, of = max(shares)
    most = min(1.0, share + z * math.sqrt(share * (1 - share) / of))
    return share * city.unpaired, most * city.unpaired


def pairing_days_left(as_of: date, end: date, decided_by: DecisionRule) -> int:
    """Days from tomorrow on which a pairing could still be decided and drawn by `end`."""
    last = end
    while last > as_of and decided_by(last) > end:
        last -= timedelta(days=1)
    return (last - as_of).days


def _share_paired_in_time(
    city: Funnel, as_of: date, campaign: Campaign, method: ForecastMethod, days_left: int
) -> float:
    """Of the city's unpaired enterprises, the share its recent pairing pace would pair in
    the days left."""
    if not city.unpaired:
        return 0.0
    elapsed = min(7 * method.weeks, max(campaign.day_number(as_of), 1))
    pace = city.paired_lately / elapsed
    return min(1.0, pace * days_left / city.unpaired)


def forecasts(
    current: Attainment,
    funnels_of_day: Mapping[str, Funnel],
    reference: ReferenceData,
    decided_by: DecisionRule,
) -> dict[str, Forecast | None]:
    """Every unit with a target, by unit id, on `current.as_of`. The funnels may be the
    daily tick's, older than the first-loan households counted since: those count."""
    city = replace(city_funnel(funnels_of_day, reference), first_loans=current.first_loans)
    return {
        unit.unit_id: project(
            unit.level,
            replace(funnels_of_day.get(unit.unit_id, Funnel()), first_loans=unit.first_loans),
            city,
            current.as_of,
            reference,
            decided_by,
        )
        for unit in units_with_target(current)
    }


def warning_days(as_of: date, reference: ReferenceData) -> list[date]:
    """The days whose forecasts a warning on `as_of` rests on, oldest first: `as_of` and the
    days before it, as many as the campaign has had."""
    back = reference.forecast.shortfall_after_days - 1
    first = max(as_of - timedelta(days=back), min(reference.campaign.start, as_of))
    return [first + timedelta(days=n) for n in range((as_of - first).days + 1)]


def shortfall_findings(
    current: Attainment,
    funnels_by_day: Mapping[date, Mapping[str, Funnel]],
    reference: ReferenceData,
    decided_by: DecisionRule,
) -> list[Finding]:
    """A warning for each unit whose forecast's high end was under its target on each of the
    `warning_days`, from the campaign's `shortfall_from_campaign_day`. `funnels_by_day` holds
    the funnels of those days (a day missing is a day without the warning's evidence)."""
    method = reference.forecast
    if reference.campaign.day_number(current.as_of) < method.shortfall_from_campaign_day:
        return []
    units = list(units_with_target(current))
    days = warning_days(current.as_of, reference)
    if len(days) < method.shortfall_after_days or not funnels_by_day.keys() >= set(days):
        return []
    by_day = {
        day: _forecasts_on(day, units, funnels_by_day[day], reference, decided_by) for day in days
    }
    today = by_day[current.as_of]
    return [
        _shortfall(unit, forecast, method.shortfall_after_days)
        for unit in units
        if (forecast := today[unit.unit_id]) is not None
        and all(_under_target(unit, day[unit.unit_id]) for day in by_day.values())
    ]


def _forecasts_on(
    day: date,
    units: Sequence[UnitAttainment],
    funnels_of_day: Mapping[str, Funnel],
    reference: ReferenceData,
    decided_by: DecisionRule,
) -> dict[str, Forecast | None]:
    city = city_funnel(funnels_of_day, reference)
    return {
        unit.unit_id: project(
            unit.level, funnels_of_day.get(unit.unit_id, Funnel()), city, day, reference, decided_by
        )
        for unit in units
    }


def _under_target(unit: UnitAttainment, forecast: Forecast | None) -> bool:
    assert unit.targets is not None
    return forecast is not None and forecast.high < unit.targets.first_loans


def _shortfall(unit: UnitAttainment, forecast: Forecast, days: int) -> Finding:
    assert unit.targets is not None
    figures = {
        "name": unit.name,
        "first_loans": unit.first_loans,
        "targets": unit.targets.model_dump(),
        "forecast": forecast_json(forecast) | {"high_under_target_days": days},
    }
    return Finding(
        unit.unit_id,
        unit.level,
        EscalationReason.PROJECTED_SHORTFALL,
        Severity.WARNING,
        figures,
    )


def forecast_json(forecast: Forecast) -> dict[str, object]:
    """The forecast and what it rests on, as an escalation's figures carry it."""
    return {
        "first_loans": forecast.first_loans,
        "low": forecast.low,
        "high": forecast.high,
        "conversion": round(forecast.conversion, 3),
        "city_conversion": round(forecast.city_conversion, 3),
        "unpaired": round(forecast.unpaired, 1),
        "unpaired_at_most": round(forecast.unpaired_at_most, 1),
        "paired_in_time": round(forecast.paired_in_time, 3),
        "funnel": forecast.funnel.as_json(),
    }
