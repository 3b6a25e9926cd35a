"""One enterprise's file (一企一档) across campaigns: for each campaign it has a part in, its
listing periods there, the institutions it was assigned to, its outcome (a qualifying first
loan or none) and the false first-loan claims counted there; and its facts, which belong to
no campaign (loans, reversals, pairings), each loan with the campaigns that count it.

Plain Python over the facts: the outcomes are those of the rules (`Lenses.outcomes`), so the
file says what the figures count, on the same day.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date

from assessment.domain.campaigns import Lenses
from assessment.domain.facts import (
    Assignment,
    EnterpriseFacts,
    ListingChange,
    Loan,
    Pairing,
    Reversal,
)
from assessment.domain.first_loan import EnterpriseOutcome
from assessment.domain.listing import county_on


@dataclass(frozen=True)
class ListingPeriod:
    """On the list in `county_code` from `listed_on` up to the day before `delisted_on`
    (None: still listed). A move to another county ends one period and begins the next."""

    county_code: str
    listed_on: date
    delisted_on: date | None


@dataclass(frozen=True)
class CampaignPart:
    """The enterprise in one campaign."""

    campaign_id: str
    listings: tuple[ListingPeriod, ...]
    assignments: tuple[Assignment, ...]
    """The earliest assignment to each institution, in the order they were made."""
    outcome: EnterpriseOutcome


@dataclass(frozen=True)
class FiledLoan:
    loan: Loan
    reversed_on: date | None
    counted_in: tuple[str, ...]
    """The campaigns whose qualifying first loan it is (in the book's order)."""
    anomaly_in: str | None
    """The campaign its contradicted first-loan claim counts in, if it is one."""


@dataclass(frozen=True)
class EnterpriseFile:
    uscc: str
    campaigns: tuple[CampaignPart, ...]
    loans: tuple[FiledLoan, ...]
    reversals: tuple[Reversal, ...]
    pairings: tuple[Pairing, ...]


def listing_periods(changes: Iterable[ListingChange]) -> tuple[ListingPeriod, ...]:
    """The periods the changes (of one campaign) put the enterprise on the list, oldest
    first, read exactly as `county_on` reads them on each day."""
    known = list(changes)
    periods: list[ListingPeriod] = []
    current: tuple[str, date] | None = None
    for day in sorted({c.on for c in known}):
        county = county_on(known, day)
        if current is not None and current[0] != county:
            periods.append(ListingPeriod(current[0], current[1], day))
            current = None
        if county is not None and current is None:
            current = (county, day)
    if current is not None:
        periods.append(ListingPeriod(current[0], current[1], None))
    return tuple(periods)


def first_assignments(assignments: Iterable[Assignment]) -> tuple[Assignment, ...]:
    earliest: dict[str, Assignment] = {}
    for assignment in sorted(assignments, key=lambda a: (a.assigned_on, a.institution_id)):
        earliest.setdefault(assignment.institution_id, assignment)
    return tuple(earliest.values())


def enterprise_file(facts: EnterpriseFacts, lenses: Lenses, day: date) -> EnterpriseFile:
    """The enterprise's file on `day`: its part in each campaign (the book's order) and its
    facts, oldest first."""
    outcomes = lenses.outcomes(facts, day)
    parts = tuple(
        CampaignPart(
            campaign_id=campaign_id,
            listings=listing_periods(
                c for c in facts.listing_changes if c.campaign_id == campaign_id
            ),
            assignments=first_assignments(
                a for a in facts.assignments if a.campaign_id == campaign_id
            ),
            outcome=outcome,
        )
        for campaign_id, outcome in outcomes.items()
    )
    reversed_on = {r.key: r.reversed_on for r in facts.reversals}
    loans = tuple(
        FiledLoan(
            loan=loan,
            reversed_on=reversed_on.get(loan.key),
            counted_in=tuple(
                p.campaign_id
                for p in parts
                if p.outcome.first_loan is not None and p.outcome.first_loan.loan.key == loan.key
            ),
            anomaly_in=next(
                (
                    p.campaign_id
                    for p in parts
                    if any(a.claim.key == loan.key for a in p.outcome.anomalies)
                ),
                None,
            ),
        )
        for loan in sorted(facts.loans, key=lambda x: (x.issued_on, x.institution_id, x.loan_id))
    )
    return EnterpriseFile(
        uscc=facts.uscc,
        campaigns=parts,
        loans=loans,
        reversals=tuple(
            sorted(facts.reversals, key=lambda r: (r.reversed_on, r.institution_id, r.loan_id))
        ),
        pairings=tuple(sorted(facts.pairings, key=lambda p: (p.matched_on, p.institution_id))),
    )


def within(found: EnterpriseFile, campaign_ids: Collection[str]) -> EnterpriseFile:
    """The file as a reader of these campaigns only sees it: the other campaigns' parts are
    left out, and a loan names only these campaigns as counting it. The facts stay whole:
    they belong to no campaign."""
    return replace(
        found,
        campaigns=tuple(p for p in found.campaigns if p.campaign_id in campaign_ids),
        loans=tuple(
            replace(
                filed,
                counted_in=tuple(c for c in filed.counted_in if c in campaign_ids),
                anomaly_in=filed.anomaly_in if filed.anomaly_in in campaign_ids else None,
            )
            for filed in found.loans
        ),
    )


def ever_listed_in(facts: EnterpriseFacts, county_code: str) -> bool:
    """Whether any campaign's list ever had the enterprise in the county."""
    return any(c.listed and c.county_code == county_code for c in facts.listing_changes)


def known_to(facts: EnterpriseFacts, institution_id: str) -> bool:
    """Whether the institution was assigned the enterprise in any campaign, or lent to it."""
    return any(a.institution_id == institution_id for a in facts.assignments) or any(
        loan.institution_id == institution_id for loan in facts.loans
    )
