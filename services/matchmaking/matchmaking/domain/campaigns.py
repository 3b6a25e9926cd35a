"""Matchmaking's facts (fairs, attendance, pairings, outcomes) belong to no campaign; where a
rule needs a campaign's parameter (the credit process goal) or a campaign's lens, the fact's
county and day name the campaign.

- A campaign's lens (`in_campaign`): a fact counts in the campaign whose counties hold its
  county and whose window holds its day; a fact of no known county counts in none.
- A parameter (`campaign_of_fact`): the campaign that `CampaignBook.attribute` gives for the
  county and day (the one whose window holds the day, else the county's latest begun by it,
  else its first); for a fact of no known county, or of a county no campaign has, the same
  choice among the institution's campaigns, else among all.
"""

from __future__ import annotations

from datetime import date

from shared.campaigns import CampaignBook
from shared.reference import ReferenceData


def in_campaign(reference: ReferenceData, county_code: str | None, day: date) -> bool:
    return county_code in reference.county_codes and reference.campaign.contains(day)


def campaign_of_fact(
    book: CampaignBook, county_code: str | None, day: date, institution_id: str | None = None
) -> ReferenceData:
    if county_code is not None:
        found = book.attribute(county_code, day)
        if found is not None:
            return found
    having = tuple(c for c in book.campaigns if institution_id in c.institution_ids)
    return _by_day(having or book.campaigns, day)


def _by_day(campaigns: tuple[ReferenceData, ...], day: date) -> ReferenceData:
    """The first whose window holds the day, else the latest begun by it, else the first."""
    inside = [c for c in campaigns if c.campaign.contains(day)]
    if inside:
        return inside[0]
    begun = [c for c in campaigns if c.campaign.start <= day]
    return begun[-1] if begun else campaigns[0]


def credit_goal(
    book: CampaignBook, county_code: str | None, day: date, institution_id: str | None = None
) -> int:
    """The working days within which the fact's campaign wants credit decided
    (`credit_process_goal_workdays`)."""
    return campaign_of_fact(
        book, county_code, day, institution_id
    ).campaign.credit_process_goal_workdays


def campaign_id_of(book: CampaignBook, county_code: str, day: date) -> str | None:
    """The campaign a roster record of this county and day belongs to when it names none;
    None for a county no campaign has."""
    found = book.attribute(county_code, day)
    return found.campaign.id if found is not None else None


def is_known_county(book: CampaignBook, county_code: str) -> bool:
    return bool(book.with_county(county_code))


def is_known_institution(book: CampaignBook, institution_id: str) -> bool:
    return institution_id in book.institution_ids
