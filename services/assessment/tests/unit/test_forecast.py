"""The forecast of first-loan households at the campaign's end, from each unit's funnel, and
its warning (the method: `assessment/domain/forecast.py`)."""

from __future__ import annotations

import math
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.domain.attainment import attainment
from assessment.domain.facts import Assignment, ListingChange, Loan, Pairing
from assessment.domain.first_loan import campaign_window, evaluate
from assessment.domain.forecast import (
    Funnel,
    city_funnel,
    decision_rule,
    enterprise_stages,
    forecasts,
    listed_since,
    pairing_days_left,
    project,
    shortfall_findings,
    unit_funnels,
    warning_days,
)
from assessment.domain.history import Fact, facts_by_enterprise
from assessment.domain.listing import county_on
from shared.contracts.assessment import EscalationReason, Severity
from shared.reference import PACKAGED_REFERENCE_FILE, load_reference
from shared.workdays import CalendarNotCoveredError, add_workdays

from ..facts_strategy import BANKS, DAYS, FACTS, USCCS, replayed

# The method's parameters as the platform ships them, whatever an operator's copy says.
REFERENCE = load_reference(PACKAGED_REFERENCE_FILE)
CAMPAIGN, METHOD = REFERENCE.campaign, REFERENCE.forecast
DECIDED_BY = decision_rule(REFERENCE, add_workdays)
START, END = CAMPAIGN.start, CAMPAIGN.end
XINFU, DINGXIANG = "140902", "140921"
FORECAST_DAY = START + timedelta(days=METHOD.shortfall_from_campaign_day - 1)

PAIRINGS = st.builds(Pairing, st.sampled_from(USCCS), st.sampled_from(BANKS), DAYS)
WITH_PAIRINGS = st.tuples(FACTS, st.lists(PAIRINGS, max_size=8)).map(lambda t: t[0] + t[1])
CAMPAIGN_DAYS = st.integers(0, CAMPAIGN.days - 1).map(lambda n: START + timedelta(days=n))
FUNNELS = st.builds(
    Funnel,
    listed=st.integers(0, 400),
    paired=st.integers(0, 400),
    paired_lately=st.integers(0, 200),
    decided=st.integers(0, 300),
    converted=st.integers(0, 300),
    deciding=st.integers(0, 200),
    unpaired=st.integers(0, 400),
    first_loans=st.integers(0, 400),
).filter(lambda f: f.converted <= f.decided)


def funnels_on(facts: list[Fact], day: date) -> dict[str, Funnel]:
    by_enterprise = facts_by_enterprise(facts)
    outcomes = [evaluate(f, campaign_window(REFERENCE), day) for f in by_enterprise.values()]
    return unit_funnels(by_enterprise, outcomes, [day], DECIDED_BY, METHOD.weeks)[day]


# --- when a pairing has been decided ---------------------------------------------------------


def test_a_pairing_is_decided_after_the_days_to_apply_the_working_days_and_the_days_to_draw() -> (
    None
):
    paired = date(2020, 9, 4)  # a Friday
    applied = paired + timedelta(days=METHOD.days_to_apply)
    decided = add_workdays(applied, CAMPAIGN.credit_process_goal_workdays)
    assert DECIDED_BY(paired) == decided + timedelta(days=METHOD.days_to_draw)
    # The National Day holidays lengthen the working days' span.
    holidays = date(2020, 9, 25)
    assert DECIDED_BY(holidays) - holidays > DECIDED_BY(paired) - paired


def test_where_the_statutory_calendar_is_unknown_a_pairing_is_decided_after_weekdays() -> None:
    def not_published(day: date, n: int) -> date:
        raise CalendarNotCoveredError(day.year)

    friday = date(2027, 1, 8)
    decided_by = decision_rule(REFERENCE, not_published)
    # Applied on Wednesday the 13th, ten weekdays later is Wednesday the 27th.
    assert decided_by(friday) == date(2027, 1, 27) + timedelta(days=METHOD.days_to_draw)


def test_unpaired_enterprises_count_only_while_a_pairing_can_still_be_decided_in_time() -> None:
    left = pairing_days_left(date(2020, 11, 1), END, DECIDED_BY)
    assert DECIDED_BY(date(2020, 11, 1) + timedelta(days=left)) <= END
    assert DECIDED_BY(date(2020, 11, 2) + timedelta(days=left)) > END
    assert pairing_days_left(date(2020, 12, 20), END, DECIDED_BY) == 0


# --- the listing an enterprise is in ---------------------------------------------------------


def test_a_listing_runs_from_its_first_day_through_re_listings_until_a_delisting() -> None:
    u = USCCS[0]
    changes = [
        ListingChange(u, date(2020, 9, 3), True, XINFU),
        ListingChange(u, date(2020, 9, 20), True, XINFU),  # nominated again: the same listing
        ListingChange(u, date(2020, 10, 1), False, XINFU),
        ListingChange(u, date(2020, 10, 1), True, DINGXIANG),  # the same day: a new listing
    ]
    assert listed_since(changes, date(2020, 9, 2)) is None
    assert listed_since(changes, date(2020, 9, 25)) == date(2020, 9, 3)
    assert listed_since(changes, date(2020, 10, 5)) == date(2020, 10, 1)
    assert listed_since(changes[:3], date(2020, 10, 5)) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.builds(ListingChange, st.just(USCCS[0]), DAYS, st.booleans(), st.just(XINFU))))
def test_the_listing_began_on_a_day_from_which_the_enterprise_was_listed_every_day(
    changes: list[ListingChange],
) -> None:
    day = date(2020, 11, 1)
    since = listed_since(changes, day)
    assert (since is None) == (county_on(changes, day) is None)
    if since is not None:
        assert all(
            county_on(changes, since + timedelta(days=n)) is not None
            for n in range((day - since).days + 1)
        )
    assert listed_since(list(reversed(changes)) + changes, day) == since


# --- the funnel ------------------------------------------------------------------------------


def test_each_enterprise_is_in_one_stage_of_its_county_and_of_each_bank_paired_with_it() -> None:
    day = date(2020, 10, 12)
    early, late = date(2020, 9, 4), date(2020, 10, 5)  # decided by 2020-09-28; not yet
    who = {name: f"{name}91140902MA0000000" for name in "ABCDEF"}
    facts: list[Fact] = [ListingChange(u, date(2020, 9, 2), True, XINFU) for u in who.values()]
    facts += [
        Pairing(who["A"], "icbc", early),
        Pairing(who["A"], "icbc", late),  # paired again: the first pairing counts
        Assignment(who["A"], "icbc", early),
        Loan("icbc", "L-A", who["A"], date(2020, 9, 20), True),
        Pairing(who["B"], "icbc", early),
        Pairing(who["C"], "icbc", late),
        Pairing(who["C"], "ccb", early),
        Loan("ccb", "L-D", who["D"], date(2020, 10, 1), True),
        # Listed after the day: in no stage yet.
        ListingChange(who["F"], date(2020, 10, 20), True, XINFU),
    ]
    facts.remove(ListingChange(who["F"], date(2020, 9, 2), True, XINFU))
    funnels = funnels_on(facts, day)
    assert funnels[XINFU] == Funnel(
        listed=5,
        paired=3,
        paired_lately=0,  # all first paired before the last four weeks
        decided=3,  # A, B, and C by its first pairing (ccb)
        converted=1,
        deciding=0,
        unpaired=1,  # E: D has a first loan without a pairing
        first_loans=2,
    )
    assert funnels["icbc"] == Funnel(
        listed=1, paired=3, paired_lately=1, decided=2, converted=1, deciding=1, first_loans=1
    )
    assert funnels["ccb"] == Funnel(paired=1, decided=1, first_loans=1)
    assert city_funnel(funnels, REFERENCE) == funnels[XINFU]


@settings(max_examples=150, deadline=None)
@given(facts=WITH_PAIRINGS, data=st.data(), day=CAMPAIGN_DAYS)
def test_the_funnels_depend_on_the_set_of_facts_not_their_order_or_repetition(
    facts: list[Fact], data: st.DataObject, day: date
) -> None:
    funnels = funnels_on(facts, day)
    assert funnels_on(replayed(data, facts), day) == funnels
    for county in REFERENCE.counties:
        funnel = funnels.get(county.code, Funnel())
        assert funnel.paired + funnel.unpaired <= funnel.listed
        assert funnel.converted <= funnel.decided
        assert funnel.decided + funnel.deciding <= funnel.paired
    outcomes = [
        evaluate(f, campaign_window(REFERENCE), day) for f in facts_by_enterprise(facts).values()
    ]
    counted = attainment(outcomes, REFERENCE, day)
    for unit in (*counted.counties, *counted.institutions):
        assert funnels.get(unit.unit_id, Funnel()).first_loans == unit.first_loans


@settings(max_examples=100, deadline=None)
@given(facts=WITH_PAIRINGS, day=CAMPAIGN_DAYS)
def test_the_funnel_of_an_earlier_day_is_that_day_s_whenever_it_is_taken(
    facts: list[Fact], day: date
) -> None:
    """What a warning rests on: the funnels of the days before, taken today, are those the
    days themselves had (facts dated later than a day count from that day on)."""
    later = min(day + timedelta(days=METHOD.shortfall_after_days), END)
    by_enterprise = facts_by_enterprise(facts)
    window = campaign_window(REFERENCE)
    outcomes = [evaluate(f, window, later) for f in by_enterprise.values()]
    taken_later = unit_funnels(by_enterprise, outcomes, [day], DECIDED_BY, METHOD.weeks)
    then = funnels_on(facts, day)
    # A reversal after the day may take a loan back: the day saw it, the later look does not.
    if not any(r.reversed_on > day for f in by_enterprise.values() for r in f.reversals):
        assert taken_later[day] == then


def test_the_stages_keep_each_institution_s_earliest_pairing_and_assignment() -> None:
    u = USCCS[0]
    facts = facts_by_enterprise(
        [
            ListingChange(u, date(2020, 9, 2), True, XINFU),
            Pairing(u, "icbc", date(2020, 10, 9)),
            Pairing(u, "icbc", date(2020, 9, 9)),
            Assignment(u, "icbc", date(2020, 9, 2)),
        ]
    )[u]
    stages = enterprise_stages(facts, evaluate(facts, campaign_window(REFERENCE), END))
    assert stages.listing_on(END) == (XINFU, date(2020, 9, 2))
    assert stages.paired == {"icbc": date(2020, 9, 9)}
    assert stages.assigned == {"icbc": date(2020, 9, 2)}


# --- the projection --------------------------------------------------------------------------

CITY = Funnel(
    listed=4000, paired=2000, paired_lately=800, decided=1000, converted=800, unpaired=1500
)


def test_a_county_converting_like_the_city_reaches_what_its_unpaired_promise() -> None:
    on = date(2020, 10, 20)
    funnel = Funnel(
        listed=300, paired=150, decided=100, converted=80, deciding=30, unpaired=130, first_loans=80
    )
    found = project("county", funnel, CITY, on, REFERENCE, DECIDED_BY)
    assert found is not None
    assert abs(found.conversion - 0.8) < 0.001
    assert abs(found.city_conversion - 0.8) < 0.001
    # The high end: every unpaired enterprise paired in time and converted at 0.8.
    best = 80 + 0.8 * (30 + 130)
    assert best < found.high < best + 25
    assert found.low <= found.first_loans <= found.high
    assert found.high >= 200


def test_a_county_converting_at_a_quarter_of_the_city_s_rate_cannot_reach_its_target() -> None:
    funnel = Funnel(
        listed=300, paired=150, decided=100, converted=20, deciding=30, unpaired=130, first_loans=20
    )
    found = project("county", funnel, CITY, date(2020, 10, 20), REFERENCE, DECIDED_BY)
    assert found is not None
    assert found.conversion < 0.35
    assert found.high < 200


def test_a_unit_with_no_decided_pairing_is_judged_by_the_city_s_conversion() -> None:
    funnel = Funnel(listed=10, unpaired=10)
    found = project("county", funnel, CITY, date(2020, 10, 20), REFERENCE, DECIDED_BY)
    assert found is not None
    assert found.conversion == found.city_conversion


def test_an_institution_may_pair_its_share_of_the_city_s_unpaired() -> None:
    on = date(2020, 10, 20)
    paired = project("institution", Funnel(paired=200), CITY, on, REFERENCE, DECIDED_BY)
    # A bank that records no pairing keeps its share by its first loans.
    city = Funnel(**{**CITY.as_json(), "first_loans": 1000})
    lending = project("institution", Funnel(first_loans=100), city, on, REFERENCE, DECIDED_BY)
    nothing = project("institution", Funnel(), city, on, REFERENCE, DECIDED_BY)
    assert paired is not None
    assert lending is not None
    assert nothing is not None
    assert paired.unpaired == 0.1 * CITY.unpaired
    assert lending.unpaired == 0.1 * city.unpaired
    assert (nothing.unpaired, nothing.high) == (0.0, 0)
    assert paired.high > 0


def test_near_the_end_only_pairings_in_decision_still_count() -> None:
    funnel = Funnel(listed=300, paired=100, deciding=20, unpaired=200, first_loans=50)
    found = project("county", funnel, CITY, date(2020, 12, 20), REFERENCE, DECIDED_BY)
    assert found is not None
    assert found.unpaired == 0
    assert found.high <= 50 + 20


def test_no_forecast_before_the_first_full_week_and_none_needed_at_the_end() -> None:
    funnel = Funnel(listed=10, unpaired=10, first_loans=3)
    assert project("county", funnel, CITY, START + timedelta(days=5), REFERENCE, DECIDED_BY) is None
    done = project("county", funnel, CITY, END, REFERENCE, DECIDED_BY)
    assert done is not None
    assert (done.first_loans, done.low, done.high) == (3, 3, 3)


@settings(max_examples=300, deadline=None)
@given(FUNNELS, FUNNELS, CAMPAIGN_DAYS, st.sampled_from(["county", "institution"]))
def test_the_interval_holds_the_projection_and_never_goes_under_today(
    funnel: Funnel, city: Funnel, day: date, level: str
) -> None:
    found = project(level, funnel, city, day, REFERENCE, DECIDED_BY)
    if found is None:
        assert CAMPAIGN.day_number(day) < 7
        return
    assert funnel.first_loans <= found.low <= found.first_loans <= found.high
    # Never more than every enterprise without a first loan converting.
    assert found.high <= funnel.first_loans + funnel.deciding + math.ceil(found.unpaired_at_most)


@settings(max_examples=200, deadline=None)
@given(FUNNELS, CAMPAIGN_DAYS, st.integers(1, 50))
def test_more_unpaired_enterprises_never_lower_a_county_s_high_end(
    funnel: Funnel, day: date, more: int
) -> None:
    larger = Funnel(**{**funnel.as_json(), "unpaired": funnel.unpaired + more})
    before = project("county", funnel, CITY, day, REFERENCE, DECIDED_BY)
    after = project("county", larger, CITY, day, REFERENCE, DECIDED_BY)
    if before is not None and after is not None:
        assert after.high >= before.high


# --- the warning -----------------------------------------------------------------------------


def test_the_warning_days_are_the_last_days_inside_the_campaign() -> None:
    days = warning_days(FORECAST_DAY, REFERENCE)
    assert days[-1] == FORECAST_DAY
    assert len(days) == METHOD.shortfall_after_days
    assert (days[-1] - days[0]).days == len(days) - 1
    assert warning_days(START + timedelta(days=1), REFERENCE) == [START, START + timedelta(days=1)]


def test_a_unit_whose_high_end_stays_under_target_is_warned_from_the_forecast_day() -> None:
    # 忻府区 (target 400) lists 100 enterprises and pairs none: even all paired, no 400.
    facts: list[Fact] = [ListingChange(f"U{n}", date(2020, 9, 2), True, XINFU) for n in range(100)]
    by_enterprise = facts_by_enterprise(facts)
    for day, warned in ((FORECAST_DAY - timedelta(days=1), False), (FORECAST_DAY, True)):
        outcomes = [evaluate(f, campaign_window(REFERENCE), day) for f in by_enterprise.values()]
        current = attainment(outcomes, REFERENCE, day)
        days = warning_days(day, REFERENCE)
        recent = unit_funnels(by_enterprise, outcomes, days, DECIDED_BY, METHOD.weeks)
        found = shortfall_findings(current, recent, REFERENCE, DECIDED_BY)
        xinfu = [f for f in found if f.unit_id == XINFU]
        assert bool(xinfu) is warned
        projected = forecasts(current, recent[day], REFERENCE, DECIDED_BY)[XINFU]
        assert projected is not None
        assert projected.high < 400
    assert xinfu[0].reason is EscalationReason.PROJECTED_SHORTFALL
    assert xinfu[0].severity is Severity.WARNING
    figures = xinfu[0].figures["forecast"]
    assert figures["funnel"]["listed"] == 100
    assert figures["high_under_target_days"] == METHOD.shortfall_after_days
