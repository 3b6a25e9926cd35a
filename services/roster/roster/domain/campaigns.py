"""Which campaign a nomination, an assignment or a delisting belongs to (issue #21).

The cultivation list is kept per campaign: a nomination names its campaign, or the county
and the day say which (the one running there on `nominated_on`, else the county's next one,
since lists are prepared before a campaign starts). An assignment or a delisting that names
none belongs to the campaign the enterprise is listed in that runs on its day, else to its
latest listing's. Plain rules over the campaigns' terms and the enterprise's listings.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from roster.domain.enterprise import Enterprise
from roster.domain.nomination import (
    Checks,
    Nomination,
    NominationDraft,
    PriorLoan,
    Rules,
    reasons_against,
    screen,
)
from roster.domain.reasons import Reason, ReasonCode
from roster.domain.size_standard import SizeStandard
from shared.campaigns import AmbiguousCampaignError, CampaignBook
from shared.reference import ReferenceData


@dataclass(frozen=True)
class CampaignTerms:
    """What the roster's rules read of one campaign."""

    id: str
    county_codes: frozenset[str]
    institution_ids: frozenset[str]
    start: date
    end: date
    list_deadline: date
    look_back_years: int

    @classmethod
    def of(cls, reference: ReferenceData) -> CampaignTerms:
        campaign = reference.campaign
        return cls(
            id=campaign.id,
            county_codes=reference.county_codes,
            institution_ids=reference.institution_ids,
            start=campaign.start,
            end=campaign.end,
            list_deadline=campaign.list_deadline,
            look_back_years=campaign.look_back_years,
        )

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def rules(self, standard: SizeStandard, today: date) -> Rules:
        return Rules(
            campaign_id=self.id,
            county_codes=self.county_codes,
            institution_ids=self.institution_ids,
            look_back_years=self.look_back_years,
            list_deadline=self.list_deadline,
            standard=standard,
            today=today,
        )


def terms_of(book: CampaignBook) -> tuple[CampaignTerms, ...]:
    """Every campaign's terms, in the book's order (start date, then id)."""
    return tuple(CampaignTerms.of(reference) for reference in book.campaigns)


CampaignChoice = CampaignTerms | list[Reason]
"""The campaign a nomination belongs to, or the reasons none could be told (empty when the
nomination's other reasons say why: no county or day given, or a county of no campaign)."""


def nomination_campaign(
    campaigns: Sequence[CampaignTerms],
    requested: str | None,
    county_code: str | None,
    nominated_on: date | None,
) -> CampaignChoice:
    """The campaign named, else the one running in the county on `nominated_on`, else the
    county's next campaign that has not started by then, else the county's only campaign
    (so that a platform of one campaign takes every nomination of its counties, as before
    campaigns were named)."""
    if requested is not None:
        named = next((c for c in campaigns if c.id == requested), None)
        return named if named is not None else [_unknown_campaign(requested, campaigns)]
    if county_code is None:
        return campaigns[0] if len(campaigns) == 1 else []
    having = [c for c in campaigns if county_code in c.county_codes]
    if not having:
        return []
    if nominated_on is None:
        return having[0] if len(having) == 1 else []
    running = next((c for c in having if c.contains(nominated_on)), None)
    if running is not None:
        return running
    coming = [c for c in having if c.start > nominated_on]
    if coming:
        return min(coming, key=lambda c: (c.start, c.id))
    if len(having) == 1:
        return having[0]
    return [_no_campaign_on(county_code, nominated_on, having)]


def _unknown_campaign(requested: str, campaigns: Sequence[CampaignTerms]) -> Reason:
    known = ", ".join(c.id for c in campaigns)
    return Reason(
        ReasonCode.INVALID_FIELD,
        "campaign",
        f"培植行动 {requested} 不存在（现有：{known}）",
        f"no campaign {requested!r}; known: {known}",
    )


def _no_campaign_on(county_code: str, day: date, having: Sequence[CampaignTerms]) -> Reason:
    candidates = ", ".join(c.id for c in having)
    return Reason(
        ReasonCode.MISSING_FIELD,
        "campaign",
        f"请注明培植行动：县（市、区）{county_code} 在 {day} 没有进行中或尚未开始的行动"
        f"（{candidates}）",
        f"name the campaign: no campaign of county {county_code} runs on {day} or is still "
        f"to come ({candidates})",
    )


def _campaign_required() -> Reason:
    return Reason(
        ReasonCode.MISSING_FIELD, "campaign", "请注明培植行动 campaign", "name the campaign"
    )


@dataclass(frozen=True)
class Screened:
    """A nomination's campaign (None when none could be told) and what became of it."""

    campaign_id: str | None
    result: Nomination | list[Reason]


class NominationScreen:
    """Screening against the campaigns of one request: each nomination in its campaign, or,
    when none can be told, against every campaign's counties and institutions so that the
    answer still gives every other reason."""

    def __init__(
        self, campaigns: Sequence[CampaignTerms], standard: SizeStandard, today: date
    ) -> None:
        self._campaigns = tuple(campaigns)
        self._rules = {c.id: c.rules(standard, today) for c in self._campaigns}
        self._anywhere = Checks(
            county_codes=frozenset().union(*(c.county_codes for c in self._campaigns)),
            institution_ids=frozenset().union(*(c.institution_ids for c in self._campaigns)),
            # A loan within the shortest look-back is within every campaign's.
            look_back_years=min(c.look_back_years for c in self._campaigns),
            standard=standard,
            today=today,
        )

    def screen(
        self,
        draft: NominationDraft,
        loans: Mapping[str, Sequence[PriorLoan]],
        problems: Sequence[Reason] = (),
    ) -> Screened:
        choice = nomination_campaign(
            self._campaigns, draft.campaign, draft.county_code, draft.nominated_on
        )
        if isinstance(choice, CampaignTerms):
            return Screened(choice.id, screen(draft, self._rules[choice.id], loans, problems))
        reasons = [*reasons_against(draft, self._anywhere, loans, problems), *choice]
        if not reasons:  # not reached: a campaign is missing only for a reason given above
            reasons = [_campaign_required()]
        return Screened(None, reasons)


def listed_campaign(enterprise: Enterprise, running: Collection[str]) -> str | None:
    """The campaign an assignment or a delisting that names none belongs to: the one the
    enterprise is listed in among those `running` on its day, else its latest listing's
    (None if it was never listed). Several running: AmbiguousCampaignError."""
    candidates = [c for c in enterprise.campaigns if c in running]
    if len(candidates) > 1:
        raise AmbiguousCampaignError(candidates, f"the listings of {enterprise.uscc}")
    if candidates:
        return candidates[0]
    latest = enterprise.latest
    return latest.campaign_id if latest is not None else None


def pairing_campaign(enterprise: Enterprise, counting: str | None) -> str | None:
    """The campaign a pairing (a fact, naming none) assigns in: `counting`, the campaign
    that counts the pairing's county and day, if the enterprise is listed in it; else the
    enterprise's latest listing's (None if it was never listed)."""
    if counting is not None and enterprise.listings_in(counting):
        return counting
    latest = enterprise.latest
    return latest.campaign_id if latest is not None else None
