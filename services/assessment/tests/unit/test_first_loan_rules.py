"""Contract §5 rule 3, walked through with small named examples."""

from __future__ import annotations

from datetime import date

from assessment.domain.facts import Assignment, EnterpriseFacts, ListingChange, Loan, Reversal
from assessment.domain.first_loan import CampaignWindow, evaluate

WINDOW = CampaignWindow(start=date(2020, 9, 1), end=date(2020, 12, 31), look_back_years=5)
END = date(2020, 12, 31)
E = "91110108551385082Q"
XINFU = "140902"


def listed(on: date, county: str = XINFU) -> ListingChange:
    return ListingChange(uscc=E, on=on, listed=True, county_code=county)


def delisted(on: date, county: str = XINFU) -> ListingChange:
    return ListingChange(uscc=E, on=on, listed=False, county_code=county)


def loan(bank: str, loan_id: str, on: date, *, attested: bool = True) -> Loan:
    return Loan(
        institution_id=bank, loan_id=loan_id, uscc=E, issued_on=on, first_loan_attested=attested
    )


def facts(*items: object) -> EnterpriseFacts:
    return EnterpriseFacts(
        uscc=E,
        listing_changes=frozenset(i for i in items if isinstance(i, ListingChange)),
        loans=frozenset(i for i in items if isinstance(i, Loan)),
        reversals=frozenset(i for i in items if isinstance(i, Reversal)),
        assignments=frozenset(i for i in items if isinstance(i, Assignment)),
    )


def first_loan_id(*items: object, day: date = END) -> str | None:
    outcome = evaluate(facts(*items), WINDOW, day)
    return outcome.first_loan.loan.loan_id if outcome.first_loan else None


def test_a_listed_enterprises_attested_loan_in_the_campaign_is_its_first_loan() -> None:
    assert first_loan_id(listed(date(2020, 9, 5)), loan("icbc", "L1", date(2020, 10, 8))) == "L1"


def test_a_second_loan_is_not_a_first_loan_and_is_an_anomaly_if_claimed() -> None:
    outcome = evaluate(
        facts(
            listed(date(2020, 9, 5)),
            loan("icbc", "L1", date(2020, 10, 8)),
            loan("abc", "L2", date(2020, 11, 2)),
        ),
        WINDOW,
        END,
    )
    assert outcome.first_loan is not None
    assert outcome.first_loan.loan.loan_id == "L1"
    assert [a.claim.loan_id for a in outcome.anomalies] == ["L2"]
    assert [e.loan_id for e in outcome.anomalies[0].evidence] == ["L1"]


def test_a_claim_contradicted_by_another_banks_earlier_loan_is_an_anomaly() -> None:
    earlier = loan("ccb", "OLD", date(2018, 3, 1), attested=False)
    outcome = evaluate(
        facts(listed(date(2020, 9, 5)), earlier, loan("icbc", "L1", date(2020, 10, 8))), WINDOW, END
    )
    assert outcome.first_loan is None
    assert outcome.anomalies[0].claim.institution_id == "icbc"
    assert outcome.anomalies[0].evidence == (earlier,)


def test_a_loan_older_than_the_look_back_does_not_contradict() -> None:
    old = loan("ccb", "OLD", date(2015, 10, 7), attested=False)
    assert (
        first_loan_id(listed(date(2020, 9, 5)), old, loan("icbc", "L1", date(2020, 10, 8))) == "L1"
    )


def test_a_loan_exactly_five_years_before_contradicts() -> None:
    old = loan("ccb", "OLD", date(2015, 10, 8), attested=False)
    assert (
        first_loan_id(listed(date(2020, 9, 5)), old, loan("icbc", "L1", date(2020, 10, 8))) is None
    )


def test_a_loan_before_listing_is_not_counted_but_is_no_anomaly() -> None:
    outcome = evaluate(
        facts(listed(date(2020, 10, 1)), loan("icbc", "L1", date(2020, 9, 20))), WINDOW, END
    )
    assert (outcome.first_loan, outcome.anomalies) == (None, ())


def test_a_loan_after_delisting_is_not_counted() -> None:
    items = (
        listed(date(2020, 9, 5)),
        delisted(date(2020, 10, 1)),
        loan("icbc", "L1", date(2020, 10, 1)),
    )
    assert first_loan_id(*items) is None
    # ...but on the day before the delisting's date it was still listed.
    assert (
        first_loan_id(
            listed(date(2020, 9, 5)),
            delisted(date(2020, 10, 2)),
            loan("icbc", "L1", date(2020, 10, 1)),
        )
        == "L1"
    )


def test_a_reversed_first_loan_gives_way_to_its_replacement() -> None:
    items = (
        listed(date(2020, 9, 5)),
        loan("icbc", "L1", date(2020, 9, 20)),
        loan("icbc", "L2", date(2020, 10, 15)),
        Reversal(institution_id="icbc", loan_id="L1", reversed_on=date(2020, 10, 10)),
    )
    assert first_loan_id(*items) == "L2"
    assert first_loan_id(*items, day=date(2020, 10, 9)) == "L1"


def test_a_loan_outside_the_campaign_is_not_a_first_loan() -> None:
    assert (
        first_loan_id(
            listed(date(2020, 9, 5)), loan("icbc", "L1", date(2021, 1, 4)), day=date(2021, 2, 1)
        )
        is None
    )


def test_a_late_arriving_earlier_loan_turns_a_counted_first_loan_into_an_anomaly() -> None:
    known = (listed(date(2020, 9, 5)), loan("icbc", "L1", date(2020, 10, 8)))
    assert first_loan_id(*known) == "L1"
    late = loan("jinshang", "L0", date(2019, 6, 1), attested=False)
    outcome = evaluate(facts(*known, late), WINDOW, END)
    assert outcome.first_loan is None
    assert outcome.anomalies[0].evidence == (late,)


def test_counts_only_what_happened_on_or_before_the_day() -> None:
    items = (listed(date(2020, 9, 5)), loan("icbc", "L1", date(2020, 10, 8)))
    assert first_loan_id(*items, day=date(2020, 10, 7)) is None
    assert first_loan_id(*items, day=date(2020, 10, 8)) == "L1"


def test_the_first_loan_counts_in_the_county_listed_on_its_date() -> None:
    items = (
        listed(date(2020, 9, 5), "140981"),
        delisted(date(2020, 11, 1), "140981"),
        listed(date(2020, 11, 1), XINFU),
        loan("icbc", "L1", date(2020, 10, 8)),
    )
    outcome = evaluate(facts(*items), WINDOW, END)
    assert outcome.first_loan is not None
    assert outcome.first_loan.county_code == "140981"
    assert outcome.county_code == XINFU


def test_assignments_count_from_their_date() -> None:
    items = (listed(date(2020, 9, 5)), Assignment(E, "icbc", date(2020, 9, 15)))
    assert evaluate(facts(*items), WINDOW, date(2020, 9, 14)).institutions == frozenset()
    assert evaluate(facts(*items), WINDOW, date(2020, 9, 15)).institutions == {"icbc"}
