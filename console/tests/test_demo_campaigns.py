"""The demo's three campaigns (Xinzhou's of 2020, Yunzhou's overlapping it, Xinzhou's of
2021 after it) planned together: each campaign's plan lies in its region and window, so the
platform tells each action's campaign from its county and day as the plan means it; the
enterprises back in 2021 are refused exactly when they had a first loan in 2020; one bank
claims falsely in both of Xinzhou's years. Pure: no service is called."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from console.demo.plan import (
    CHEATING_BANK,
    DEMO_CAMPAIGNS,
    VILLAGE_BANKS,
    XINZHOU_2020,
    XINZHOU_2021,
    YUNZHOU_2020,
    YUNZHOU_LAGGING_COUNTIES,
    Enterprise,
    Plan,
    by_day,
    demo_shapes,
    first_loans_of,
    plan_demo,
    split,
)
from console.demo.play import PRIOR_LOAN, Endpoints, Player
from console.demo.setup import prepare
from shared.campaigns import CampaignBook, load_campaigns
from shared.contracts.bank import CreditGranted, LoanIssued, LoanReversed
from shared.dates import years_before
from shared.kafka_security import bank_principal, principals
from shared.settings import ServiceSettings
from shared.topics import platform_topics
from shared.validators import is_valid_uscc

ENTERPRISES = 2400


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> CampaignBook:
    files = prepare(tmp_path_factory.mktemp("state"), date(2020, 9, 1))
    return load_campaigns(files.campaigns)


@pytest.fixture(scope="module")
def plan(book: CampaignBook) -> Plan:
    return plan_demo(book, ENTERPRISES, 2020)


def loans_by_enterprise(plan: Plan) -> dict[str, list[LoanIssued]]:
    """Every loan of the plan not reversed, by enterprise."""
    reversed_loans = {
        (e.data.institution_id, e.data.loan_id)
        for e in plan.bank_events
        if isinstance(e.data, LoanReversed)
    }
    loans: dict[str, list[LoanIssued]] = {}
    for event in plan.bank_events:
        data = event.data
        if isinstance(data, LoanIssued) and (data.institution_id, data.loan_id) not in (
            reversed_loans
        ):
            loans.setdefault(data.uscc, []).append(data)
    return loans


def test_the_demo_knows_three_campaigns_and_provisions_each_ones_banks(
    book: CampaignBook, tmp_path: Path
) -> None:
    assert book.ids == DEMO_CAMPAIGNS
    village_banks = {b for b, _ in VILLAGE_BANKS}
    assert village_banks <= book.get(XINZHOU_2020).institution_ids
    assert village_banks <= book.get(XINZHOU_2021).institution_ids
    assert not village_banks & book.get(YUNZHOU_2020).institution_ids
    # What `make up` formats and creates from the demo's book (deploy/kafka.sh, provision).
    assert bank_principal("yzrcu") in principals(book)
    assert "bank.yzrcu.events" in {t.name for t in platform_topics(book)}
    # Prepared again, the directory holds the demo's campaigns and nothing else.
    (tmp_path / "demo" / "campaigns").mkdir(parents=True)
    (tmp_path / "demo" / "campaigns" / "datong-2020.toml").write_text("stale")
    again = prepare(tmp_path, date(2020, 9, 1))
    assert sorted(p.stem for p in again.campaigns.glob("*.toml")) == sorted(DEMO_CAMPAIGNS)


def test_the_enterprises_are_shared_by_the_campaigns_targets(
    book: CampaignBook, plan: Plan
) -> None:
    assert split(10, [1, 1, 1]) == [4, 3, 3]
    assert split(11000, [4500, 800, 4500]) == [5051, 898, 5051]
    assert len(plan.enterprises) == ENTERPRISES
    sizes = [len(plan.of(c).enterprises) for c in DEMO_CAMPAIGNS]
    targets = [sum(c.targets.cultivated for c in book.get(i).counties) for i in DEMO_CAMPAIGNS]
    assert sizes == split(ENTERPRISES, targets)
    fresh = [e for e in plan.enterprises if e not in plan.returning]
    assert len({e.uscc for e in fresh}) == len(fresh)
    assert all(is_valid_uscc(e.uscc) for e in plan.enterprises)


def test_each_campaigns_plan_lies_in_its_region_and_window(book: CampaignBook, plan: Plan) -> None:
    shapes = demo_shapes(book)
    county_of = {e.uscc: e.county_code for e in plan.enterprises}
    for campaign_id in DEMO_CAMPAIGNS:
        part, reference = plan.of(campaign_id), book.get(campaign_id)
        campaign = reference.campaign
        assert part.enterprises
        for enterprise in part.enterprises:
            assert reference.region.holds(enterprise.county_code)
            assert enterprise.county_code in reference.county_codes
            assert campaign.start <= enterprise.nominated_on <= campaign.end
            assert enterprise.nominated_on <= shapes[campaign_id].late_listing_until
            # The roster's default: the campaign running in the county on nominated_on.
            found = book.on(enterprise.county_code, enterprise.nominated_on)
            assert found is not None
            assert found.campaign.id == campaign_id
            assert enterprise.institution_id in {None, *reference.institution_ids}
        for fair in part.fairs:
            found = book.on(fair.county_code, fair.held_on)
            assert found is not None
            assert found.campaign.id == campaign_id
        for match in part.matches:
            assert match.institution_id in reference.institution_ids
            found = book.on(match.county_code, match.matched_on)
            assert found is not None
            assert found.campaign.id == campaign_id
        for event in part.bank_events:
            data = event.data
            if isinstance(data, LoanIssued | CreditGranted) and event.on >= campaign.start:
                # A bank event counts in the campaign of the enterprise's county and its day.
                found = book.on(county_of[data.uscc], event.on)
                assert found is not None
                assert found.campaign.id == campaign_id
        months = {f"{d:%Y-%m}" for d in plan.days(campaign.start, campaign.end)}
        units = reference.county_codes | reference.institution_ids
        assert {f.period for f in part.filings} == months
        assert {f.unit_id for f in part.filings} <= units
        assert {f.campaign_id for f in part.filings} == {campaign_id}


def test_yunzhou_has_a_lagging_county_and_no_cheat(book: CampaignBook, plan: Plan) -> None:
    yunzhou = demo_shapes(book)[YUNZHOU_2020]
    assert dict(yunzhou.county_pace) == YUNZHOU_LAGGING_COUNTIES
    assert set(YUNZHOU_LAGGING_COUNTIES) <= book.get(YUNZHOU_2020).county_codes
    part = plan.of(YUNZHOU_2020)
    assert len(part.fairs) == len(book.get(YUNZHOU_2020).counties)
    assert not [e for e in part.bank_events if e.institution_id == CHEATING_BANK]


def test_the_enterprises_back_in_2021_are_refused_exactly_when_they_had_a_first_loan(
    plan: Plan,
) -> None:
    in_2020, in_2021 = plan.of(XINZHOU_2020), plan.of(XINZHOU_2021)
    back = in_2021.returning
    assert len(back) == round(len(in_2021.enterprises) * 0.1)
    assert {e.uscc for e in back} <= {e.uscc for e in in_2020.enterprises}
    lent, unlent = first_loans_of(in_2020)
    refused = {e.uscc for e in in_2021.refusals}
    assert refused == {e.uscc for e in back} & {e.uscc for e in lent}
    listed_again = {e.uscc for e in back} - refused
    assert listed_again <= {e.uscc for e in unlent}
    assert refused
    assert listed_again
    assert len(refused) - len(listed_again) in {0, 1}
    # By the loans themselves: the 5-year rule finds a loan before each refused nomination,
    # none before the others'.
    loans = loans_by_enterprise(plan)
    for enterprise in back:
        since = years_before(enterprise.nominated_on, 5)
        earlier = [
            loan
            for loan in loans.get(enterprise.uscc, [])
            if since <= loan.issued_on < enterprise.nominated_on
        ]
        assert bool(earlier) == (enterprise.uscc in refused), enterprise
    # The refused are paired with no bank and lent nothing in 2021; the others may be.
    assert not [m for m in in_2021.matches if m.uscc in refused]
    assert not [e for e in in_2021.bank_events if e.uscc in refused]


def test_the_cheating_bank_claims_falsely_in_both_of_xinzhous_years(
    book: CampaignBook, plan: Plan
) -> None:
    loans = loans_by_enterprise(plan)
    for campaign_id in (XINZHOU_2020, XINZHOU_2021):
        claims = [
            e.data
            for e in plan.of(campaign_id).bank_events
            if isinstance(e.data, LoanIssued) and e.data.loan_id.startswith("F")
        ]
        by_bank = Counter(c.institution_id for c in claims)
        assert by_bank[CHEATING_BANK] >= book.get(campaign_id).thresholds.falsification_anomalies
        campaign = book.get(campaign_id).campaign
        for claim in claims:
            assert claim.first_loan_attested
            assert campaign.contains(claim.issued_on)
            before = [
                loan
                for loan in loans[claim.uscc]
                if years_before(claim.issued_on, 5) <= loan.issued_on < claim.issued_on
            ]
            assert before
            assert all(loan.institution_id != claim.institution_id for loan in before)


def test_the_same_seed_plays_the_same_campaigns_with_ids_never_reused(book: CampaignBook) -> None:
    first, again = plan_demo(book, 600, 7), plan_demo(book, 600, 7)
    assert first == again
    assert plan_demo(book, 600, 8) != first
    events = first.bank_events
    assert len({e.event_id for e in events}) == len(events)
    loans = [
        (e.data.institution_id, e.data.loan_id) for e in events if isinstance(e.data, LoanIssued)
    ]
    assert len(set(loans)) == len(loans)
    credits = [
        (e.data.institution_id, e.data.credit_id)
        for e in events
        if isinstance(e.data, CreditGranted)
    ]
    assert len(set(credits)) == len(credits)


def test_the_clock_jumps_between_campaigns(book: CampaignBook, plan: Plan) -> None:
    days = plan.played_days()
    last = book.get(XINZHOU_2021).campaign
    assert days[0] == date(2020, 9, 1)
    assert days[-1] >= last.ledger_due_date(last.end.year, last.end.month)
    assert days == sorted(set(days))
    yunzhou = book.get(YUNZHOU_2020).campaign
    after_yunzhou = yunzhou.ledger_due_date(yunzhou.end.year, yunzhou.end.month)
    gap = [d for d in days if after_yunzhou + timedelta(days=7) < d < last.start]
    assert gap == []
    assert set(by_day(plan)) <= set(days)
    # Each campaign's events dated before it (the loans of years before) come on its first day.
    first_days = {start for start, _ in plan.windows.values()}
    assert {d for d, actions in by_day(plan).items() if actions.get("bank")} >= {
        date(2020, 9, 1),
        date(2021, 9, 1),
    }
    assert first_days <= set(days)


def returning(plan: Plan, refused: bool) -> Enterprise:
    chosen = plan.refusals if refused else [e for e in plan.returning if e not in plan.refusals]
    return chosen[0]


def test_the_player_counts_the_refusals_it_expects_and_reports_the_others(plan: Plan) -> None:
    player = Player(
        plan, Path("unused-clock"), Endpoints(), ServiceSettings(service="demo"), pace=0
    )
    lent, unlent = returning(plan, refused=True), returning(plan, refused=False)
    prior = {"status": "rejected", "reasons": [{"code": PRIOR_LOAN, "field": "uscc"}]}
    player._screened(lent, prior)
    player._screened(unlent, {"status": "listed", "reasons": []})
    tally = player.tallies[XINZHOU_2021]
    assert (tally.returning_refused, tally.returning_listed, tally.rejected) == (1, 1, 0)
    assert tally.listed == 1
    assert tally.refused == []
    assert tally.refused_examples == [lent.uscc]
    # Their nominations of 2020 are ordinary ones.
    [in_2020] = [e for e in plan.of(XINZHOU_2020).enterprises if e.uscc == lent.uscc]
    player._screened(in_2020, {"status": "listed", "reasons": []})
    assert player.tallies[XINZHOU_2020].listed == 1
    assert player.tallies[XINZHOU_2020].refused == []
    player._screened(lent, {"status": "listed", "reasons": []})
    player._screened(unlent, prior)
    assert len(tally.refused) == 2
    assert PRIOR_LOAN in tally.refused[0]
    assert set(player.tallies) == set(DEMO_CAMPAIGNS)


async def test_the_player_names_the_campaign_of_each_ledger_and_reads_each_row(
    plan: Plan,
) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/nominations/batch":
            rows = json.loads(request.content)
            results = [
                {"row": n, "status": "rejected", "reasons": [{"code": PRIOR_LOAN}]}
                if row["uscc"] in refused
                else {"row": n, "status": "listed", "reasons": []}
                for n, row in enumerate(rows, start=1)
            ]
            return httpx.Response(200, json={"total": len(rows), "rows": results})
        return httpx.Response(201, json={})

    refused = {e.uscc for e in plan.refusals}
    player = Player(
        plan, Path("unused-clock"), Endpoints(), ServiceSettings(service="demo"), pace=0
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        await player._nominate(http, plan.of(XINZHOU_2021).enterprises)
        filings = [plan.of(c).filings[0] for c in DEMO_CAMPAIGNS]
        await player._filings(http, filings)
    tally = player.tallies[XINZHOU_2021]
    assert tally.returning_refused == len(plan.refusals)
    assert tally.returning_listed == len(plan.returning) - len(plan.refusals)
    assert tally.nominated == len(plan.of(XINZHOU_2021).enterprises)
    assert tally.refused == []
    ledger_calls = [r for r in seen if r.url.path.startswith(("/ledgers", "/reports"))]
    assert ledger_calls
    assert {r.url.params["campaign"] for r in ledger_calls} == set(DEMO_CAMPAIGNS)
    assert all(
        "campaign" not in json.loads(r.content)[0]
        for r in seen
        if r.url.path == "/nominations/batch"
    )
    assert [player.tallies[c].filings for c in DEMO_CAMPAIGNS] == [1, 1, 1]
