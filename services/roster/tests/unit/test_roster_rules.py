"""Rule 1 as plain functions: every reason, the size standard, the loan look-back, merging."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roster.domain.assignments import Assignment
from roster.domain.enterprise import (
    Admission,
    DelistingBeforeListingError,
    NotListedError,
    admit,
    delist,
)
from roster.domain.nomination import Nomination, NominationDraft, PriorLoan, Rules, screen
from roster.domain.size_standard import FiguredClass, Figures, load_size_standard
from roster.schemas import read_nomination
from shared.contracts.roster import AssignmentWay, NominationSource
from shared.validators import USCC_ALPHABET, uscc_check_character

STANDARD = load_size_standard()
RULES = Rules(
    campaign_id="xinzhou-2020",
    county_codes=frozenset({"140902", "140981"}),
    institution_ids=frozenset({"icbc", "xzrcu"}),
    look_back_years=5,
    list_deadline=date(2020, 9, 10),
    standard=STANDARD,
    today=date(2030, 1, 1),
)


def uscc(prefix: str = "91") -> str:
    body = prefix + "140902" + "".join(secrets.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


def good(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "uscc": uscc(),
        "name": "忻州示例商贸有限公司",
        "county_code": "140902",
        "size_class": "micro",
        "source": "government",
        "nominated_by": "忻府区工信局",
        "nominated_on": "2020-09-05",
        "no_loan_in_5y_attested": True,
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not None}


def decide(raw: dict[str, object], loans: dict[str, list[PriorLoan]] | None = None) -> object:
    draft, problems = read_nomination(raw)
    return screen(draft, RULES, loans or {}, problems)


def codes(result: object) -> list[str]:
    assert isinstance(result, list), f"expected a rejection, got {result}"
    return [f"{r.code.value}:{r.field}" for r in result]


def test_a_good_nomination_is_accepted_and_not_late() -> None:
    result = decide(good())
    assert isinstance(result, Nomination)
    assert result.late is False
    assert result.size_verified is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"uscc": "91140902MA0K6Y8L1A"}, ["invalid_uscc:uscc"]),
        ({"uscc": "91140902MA0K6Y8L1"}, ["invalid_uscc:uscc"]),
        ({"uscc": "91140902MA0K6Y8LIN"}, ["invalid_uscc:uscc"]),  # I is not of the 31
        ({"uscc": "91140902MA0K6Y8LON"}, ["invalid_uscc:uscc"]),  # O neither
        ({"county_code": "110108"}, ["county_not_in_campaign:county_code"]),
        ({"size_class": "medium"}, ["size_class_not_eligible:size_class"]),
        ({"no_loan_in_5y_attested": False}, ["not_attested:no_loan_in_5y_attested"]),
        ({"source": "bank"}, ["institution_required:institution_id"]),
        ({"institution_id": "nobank"}, ["unknown_institution:institution_id"]),
        ({"name": None}, ["missing_field:name"]),
        ({"nominated_on": "2020-02-30"}, ["invalid_field:nominated_on"]),
        ({"nominated_on": "2030-01-02"}, ["nominated_in_future:nominated_on"]),
        ({"source": "hearsay"}, ["invalid_field:source"]),
        ({"extra": 1}, ["unknown_field:extra"]),
        ({"employees": -1}, ["invalid_field:employees"]),
    ],
)
def test_each_reason(changes: dict[str, object], expected: list[str]) -> None:
    assert codes(decide(good(**changes))) == expected


def test_every_reason_is_given_at_once() -> None:
    result = decide(
        good(
            uscc="12345",
            county_code="999999",
            size_class="large",
            no_loan_in_5y_attested=False,
            nominated_on=None,
        )
    )
    assert sorted(codes(result)) == sorted(
        [
            "missing_field:nominated_on",
            "invalid_uscc:uscc",
            "county_not_in_campaign:county_code",
            "size_class_not_eligible:size_class",
            "not_attested:no_loan_in_5y_attested",
        ]
    )


def test_lower_case_and_blanks_are_normalised() -> None:
    code = uscc("91")
    code = code[:-1] + "A"
    code = code[:-1] + uscc_check_character(code[:-1])
    result = decide(good(uscc=f"  {code.lower()} "))
    assert isinstance(result, Nomination)
    assert result.uscc == code


def test_individual_businesses_with_92_codes_are_accepted() -> None:
    result = decide(good(uscc=uscc("92"), size_class="individual"))
    assert isinstance(result, Nomination)


def test_a_late_nomination_is_accepted_and_marked_late() -> None:
    result = decide(good(nominated_on="2020-09-11"))
    assert isinstance(result, Nomination)
    assert result.late is True


def test_prior_loan_within_five_years_before_nomination_rejects() -> None:
    code = uscc()
    loans = {
        code: [
            PriorLoan("icbc", "L-old", date(2015, 9, 4)),  # 5 years and a day before
            PriorLoan("icbc", "L-in", date(2015, 9, 5)),
            PriorLoan("xzrcu", "L-same-day", date(2020, 9, 5)),  # not before nominated_on
        ]
    }
    result = decide(good(uscc=code), loans)
    assert codes(result) == ["prior_loan:uscc"]
    assert isinstance(result, list)
    assert "L-in" in result[0].message_en


def test_figures_classify_and_contradict_a_claim_naming_the_threshold() -> None:
    medium_retail = good(industry="零售业", employees=60, operating_revenue_wan="800")
    result = decide(medium_retail)
    assert codes(result) == ["size_contradicted_by_figures:size_class"]
    assert isinstance(result, list)
    assert "employees >= 50" in result[0].message_en
    assert "营业收入(万元)≥500" in result[0].message_zh

    micro = decide(good(industry="retail", employees=60, operating_revenue_wan="80"))
    assert isinstance(micro, Nomination)
    assert micro.size_verified is FiguredClass.MICRO  # any one "below" makes it micro


@pytest.mark.parametrize(
    ("industry", "figures", "expected"),
    [
        ("工业", Figures(20, Decimal(300)), FiguredClass.SMALL),
        ("工业", Figures(19, Decimal(5000)), FiguredClass.MICRO),
        ("工业", Figures(300, Decimal(2000)), FiguredClass.MEDIUM_OR_LARGE),
        ("农、林、牧、渔业", Figures(revenue_wan=Decimal(49)), FiguredClass.MICRO),
        (
            "建筑业",
            Figures(revenue_wan=Decimal(6000), assets_wan=Decimal(4999)),
            FiguredClass.SMALL,
        ),
        ("other", Figures(employees=99), FiguredClass.SMALL),
        ("software_it", Figures(10, Decimal(50)), FiguredClass.SMALL),
    ],
)
def test_size_standard(industry: str, figures: Figures, expected: FiguredClass) -> None:
    found = STANDARD.classify(industry, figures)
    assert found is not None
    assert found.figured is expected


def test_without_figures_or_with_unknown_industry_the_claim_stands_unverified() -> None:
    assert STANDARD.classify("工业", Figures(employees=500)) is None
    assert STANDARD.classify("炼金术", Figures(1, Decimal(1), Decimal(1))) is None


FAULTS: dict[str, dict[str, object]] = {
    "invalid_uscc": {"uscc": "91140902MA0K6Y8L1A"},
    "county_not_in_campaign": {"county_code": "140100"},
    "size_class_not_eligible": {"size_class": "medium"},
    "not_attested": {"no_loan_in_5y_attested": False},
    "unknown_institution": {"institution_id": "nobank"},
    "missing_field": {"nominated_by": None},
}


@given(st.sets(st.sampled_from(sorted(FAULTS))))
def test_every_combination_of_faults_is_reported_in_full(faults: set[str]) -> None:
    changes: dict[str, object] = {}
    for fault in faults:
        changes |= FAULTS[fault]
    result = decide(good(**changes))
    if not faults:
        assert isinstance(result, Nomination)
    else:
        assert isinstance(result, list)
        assert {r.code.value for r in result} == faults


def nomination(day: str, **changes: object) -> Nomination:
    result = decide(good(uscc="91140902MA0K6Y8L1N", nominated_on=day, **changes))
    assert isinstance(result, Nomination)
    return result


def test_merge_delist_and_relist() -> None:
    first = admit(None, nomination("2020-09-05"))
    assert first.admission is Admission.LISTED
    again = admit(first.enterprise, nomination("2020-09-20", county_code="140981"))
    assert again.admission is Admission.MERGED
    assert again.enterprise.profile.county_code == "140902", "a merge never moves county"
    closed = delist(again.enterprise, date(2020, 10, 1), "moved", None)
    assert not closed.covers(date(2020, 10, 1))
    assert closed.covers(date(2020, 9, 30))
    delisted = replace(again.enterprise, listings=(closed,))
    with pytest.raises(NotListedError):
        delist(delisted, date(2020, 10, 2), "closed", None)
    backdated = admit(delisted, nomination("2020-09-25"))
    assert backdated.admission is Admission.MERGED
    relisted = admit(delisted, nomination("2020-10-01", county_code="140981"))
    assert relisted.admission is Admission.LISTED
    assert relisted.enterprise.profile.county_code == "140981"
    assert [x.listed_on for x in relisted.enterprise.listings] == [
        date(2020, 9, 5),
        date(2020, 10, 1),
    ]


def test_delisting_before_listing_is_refused() -> None:
    first = admit(None, nomination("2020-09-05"))
    with pytest.raises(DelistingBeforeListingError):
        delist(first.enterprise, date(2020, 9, 4), "withdrawn", None)
    with pytest.raises(DelistingBeforeListingError):
        delist(first.enterprise, date(2020, 9, 5), "withdrawn", None)


def test_a_bank_nomination_asks_for_its_assignment_each_time() -> None:
    bank = nomination("2020-09-05", source="bank", institution_id="icbc")
    first = admit(None, bank)
    assert first.assignment == Assignment(
        first.enterprise.uscc, "icbc", date(2020, 9, 5), AssignmentWay.NOMINATION
    )
    assert first.enterprise.institutions == {"icbc"}
    # Whether it is new or earlier is the store's to say: it knows the other ways too.
    again = admit(first.enterprise, replace(bank, nominated_on=date(2020, 9, 1)))
    assert again.assignment is not None
    assert again.assignment.assigned_on == date(2020, 9, 1)


def test_a_government_nomination_assigns_nobody() -> None:
    draft = NominationDraft(source=NominationSource.GOVERNMENT)
    assert draft.institution_id is None
    assert admit(None, nomination("2020-09-05", institution_id="icbc")).assignment is None
