"""Which loan is an enterprise's qualifying first loan, and which claims are false
(contract §5 rule 3).

E's qualifying first loan as of day d is its earliest loan L, among those live on d, with

- `first_loan_attested` true,
- `L.issued_on` inside the campaign,
- E on the list on `L.issued_on`,
- no other loan to E live on d, from any institution, issued in the look-back years before
  `L.issued_on`.

A loan is live on d when it was issued on or before d and not reversed on or before d.
A first-loan claim (attested, issued inside the campaign) contradicted by such an earlier loan
is not counted and is an anomaly against the claiming institution, listed enterprise or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from assessment.domain.facts import EnterpriseFacts, Loan, LoanKey, Reversal
from assessment.domain.listing import county_on
from shared.dates import years_before
from shared.reference import ReferenceData


@dataclass(frozen=True)
class CampaignWindow:
    start: date
    end: date
    look_back_years: int

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def campaign_window(reference: ReferenceData) -> CampaignWindow:
    campaign = reference.campaign
    return CampaignWindow(campaign.start, campaign.end, campaign.look_back_years)


@dataclass(frozen=True)
class Anomaly:
    """A first-loan claim contradicted by an earlier loan (the evidence)."""

    claim: Loan
    evidence: tuple[Loan, ...]


@dataclass(frozen=True)
class FirstLoan:
    loan: Loan
    county_code: str
    """The county the enterprise was listed in on the loan's date."""


@dataclass(frozen=True)
class EnterpriseOutcome:
    uscc: str
    county_code: str | None
    """Listed in this county on the day of evaluation; None when not listed that day."""
    first_loan: FirstLoan | None
    anomalies: tuple[Anomaly, ...]
    institutions: frozenset[str]
    """The institutions it was assigned to on or before the day of evaluation."""


def live_loans(loans: frozenset[Loan], reversals: frozenset[Reversal], day: date) -> list[Loan]:
    reversed_by: dict[LoanKey, date] = {}
    for reversal in reversals:
        earliest = reversed_by.get(reversal.key)
        if earliest is None or reversal.reversed_on < earliest:
            reversed_by[reversal.key] = reversal.reversed_on
    return sorted(
        (
            loan
            for loan in loans
            if loan.issued_on <= day
            and (loan.key not in reversed_by or reversed_by[loan.key] > day)
        ),
        key=lambda loan: (loan.issued_on, loan.institution_id, loan.loan_id),
    )


def earlier_within_look_back(claim: Loan, loans: list[Loan], years: int) -> tuple[Loan, ...]:
    since = years_before(claim.issued_on, years)
    return tuple(
        other
        for other in loans
        if other.key != claim.key and since <= other.issued_on < claim.issued_on
    )


def evaluate(facts: EnterpriseFacts, window: CampaignWindow, day: date) -> EnterpriseOutcome:
    loans = live_loans(facts.loans, facts.reversals, day)
    first_loan: FirstLoan | None = None
    anomalies: list[Anomaly] = []
    for loan in loans:
        if not (loan.first_loan_attested and window.contains(loan.issued_on)):
            continue
        evidence = earlier_within_look_back(loan, loans, window.look_back_years)
        if evidence:
            anomalies.append(Anomaly(claim=loan, evidence=evidence))
            continue
        county = county_on(facts.listing_changes, loan.issued_on)
        if first_loan is None and county is not None:
            first_loan = FirstLoan(loan=loan, county_code=county)
    return EnterpriseOutcome(
        uscc=facts.uscc,
        county_code=county_on(facts.listing_changes, day),
        first_loan=first_loan,
        anomalies=tuple(anomalies),
        institutions=frozenset(a.institution_id for a in facts.assignments if a.assigned_on <= day),
    )
