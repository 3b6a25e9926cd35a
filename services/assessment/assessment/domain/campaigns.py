"""Counting per campaign: every campaign is a lens over the same facts.

Loans, reversals and pairings belong to no campaign; listing changes and assignments belong to
the campaign whose list made them. An enterprise's outcome in a campaign is what the rules
(`first_loan.evaluate`) decide with that campaign's window, its listing changes and
assignments in that campaign only, and every loan the enterprise ever had: the look-back
reads them all, so that a first loan counted in 2020 contradicts a first-loan claim of the
same enterprise in 2021 (an anomaly of the 2021 campaign).

A contradicted claim is counted once, in one campaign (`Lenses.claim_campaign`), so that the
province's sum counts it once: the campaign the enterprise was listed in on the claim's date;
else the campaign of the county it was last listed in, attributed by the claim's date (none
when that campaign's window does not hold the date); else, never listed in any campaign's
county, the earliest-started of the campaigns running that day that have the claiming
institution.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from assessment.domain.facts import EnterpriseFacts, ListingChange, Loan
from assessment.domain.first_loan import (
    CampaignWindow,
    EnterpriseOutcome,
    campaign_window,
    evaluate,
)
from assessment.domain.listing import county_on
from shared.campaigns import CampaignBook
from shared.reference import ReferenceData


def nothing(uscc: str) -> EnterpriseOutcome:
    """The outcome of an enterprise that adds to no count."""
    return EnterpriseOutcome(uscc, None, None, (), frozenset())


def says_something(outcome: EnterpriseOutcome) -> bool:
    return bool(
        outcome.county_code or outcome.first_loan or outcome.anomalies or outcome.institutions
    )


def lens(facts: EnterpriseFacts, reference: ReferenceData) -> EnterpriseFacts:
    """The enterprise as one campaign sees it: that campaign's listing changes and
    assignments, the pairings made inside its window (a bank event counts in the campaign
    whose window holds its date), and every loan and reversal (the look-back reads all)."""
    campaign = reference.campaign
    return replace(
        facts,
        listing_changes=frozenset(c for c in facts.listing_changes if c.campaign_id == campaign.id),
        assignments=frozenset(a for a in facts.assignments if a.campaign_id == campaign.id),
        pairings=frozenset(p for p in facts.pairings if campaign.contains(p.matched_on)),
    )


def last_listed_county(changes: Iterable[ListingChange], day: date) -> str | None:
    """The county of the enterprise's latest listing on or before `day` (of any campaign),
    else of its latest listing after it; None when it was never listed."""
    listings = [c for c in changes if c.listed]
    if not listings:
        return None
    before = [c for c in listings if c.on <= day]
    latest = max(before or listings, key=lambda c: (c.on, c.county_code, c.campaign_id))
    return latest.county_code


@dataclass(frozen=True)
class CampaignLens:
    """One campaign as the rules read it."""

    campaign_id: str
    reference: ReferenceData
    window: CampaignWindow
    institutions: frozenset[str]


class Lenses:
    """Every campaign of a book as a lens, in the book's order (by start date, then id)."""

    def __init__(self, book: CampaignBook) -> None:
        self.book = book
        self.lenses = tuple(
            CampaignLens(c.campaign.id, c, campaign_window(c), c.institution_ids)
            for c in book.campaigns
        )
        self._by_id = {lens.campaign_id: lens for lens in self.lenses}
        # What the attribution asks of the book, for the few days and counties there are.
        self._running = functools.cache(self._running_on)
        self._attribute = functools.cache(book.attribute)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def get(self, campaign_id: str) -> CampaignLens:
        return self._by_id[campaign_id]

    def _running_on(self, day: date) -> tuple[CampaignLens, ...]:
        return tuple(lens for lens in self.lenses if lens.window.contains(day))

    def claim_campaign(self, facts: EnterpriseFacts, claim: Loan) -> str | None:
        """The one campaign a first-loan claim counts in when it is contradicted (see the
        module's docstring); None when no campaign's window holds its date."""
        day = claim.issued_on
        running = self._running(day)
        if not running:
            return None
        changes: dict[str, list[ListingChange]] = defaultdict(list)
        for change in facts.listing_changes:
            changes[change.campaign_id].append(change)
        for candidate in running:
            own = changes.get(candidate.campaign_id)
            if own and county_on(own, day) is not None:
                return candidate.campaign_id
        county = last_listed_county(facts.listing_changes, day)
        if county is not None:
            attributed = self._attribute(county, day)
            if attributed is not None:
                found = attributed.campaign
                return found.id if found.contains(day) and found.id in self._by_id else None
        for candidate in running:
            if claim.institution_id in candidate.institutions:
                return candidate.campaign_id
        return None

    def outcomes(
        self, facts: EnterpriseFacts, day: date, only: str | None = None
    ) -> dict[str, EnterpriseOutcome]:
        """The enterprise's outcome on `day` in each campaign it has a part in (its listing
        changes or assignments are of it, or a contradicted claim counts there), by campaign
        id; `only`: in that campaign alone (when it has a part in it)."""
        roster = {c.campaign_id for c in facts.listing_changes}
        roster |= {a.campaign_id for a in facts.assignments}
        wanted = roster
        claims: dict[tuple[str, str], str | None] = {}
        # A claim is contradicted only by another loan: an enterprise of one loan (nearly
        # every one) has no anomaly to place.
        if len(facts.loans) > 1:
            claims = {
                loan.key: self.claim_campaign(facts, loan)
                for loan in facts.loans
                if loan.first_loan_attested
            }
            wanted = roster | {c for c in claims.values() if c is not None}
        found: dict[str, EnterpriseOutcome] = {}
        for candidate in self.lenses:
            campaign_id = candidate.campaign_id
            if campaign_id not in wanted or (only is not None and campaign_id != only):
                continue
            # The rules read listings, assignments and loans: an enterprise of one campaign
            # (nearly every one) is seen whole.
            seen = facts if roster <= {campaign_id} else lens(facts, candidate.reference)
            outcome = evaluate(seen, candidate.window, day)
            if outcome.anomalies:
                kept = tuple(a for a in outcome.anomalies if claims.get(a.claim.key) == campaign_id)
                if len(kept) != len(outcome.anomalies):
                    outcome = replace(outcome, anomalies=kept)
            found[campaign_id] = outcome
        return found

    def outcome_in(
        self, facts: EnterpriseFacts, campaign_id: str, day: date
    ) -> EnterpriseOutcome | None:
        return self.outcomes(facts, day, only=campaign_id).get(campaign_id)
