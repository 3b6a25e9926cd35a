"""What matchmaking's GET endpoints answer: read-only queries over the store, shown with the
schemas. Its facts name no campaign: a campaign given is a lens (the facts of its counties
and window, `in_campaign`), and a pairing's outcomes are timed against the goal of the
pairing's own campaign (`credit_goal`)."""

from __future__ import annotations

from collections.abc import Callable

from matchmaking.domain.campaigns import credit_goal, in_campaign
from matchmaking.domain.fairs import AttendeeKind, Match
from matchmaking.domain.outcomes import Attribution, Correlated, figures, standing, timing
from matchmaking.schemas import (
    FairDetail,
    FairOut,
    FiguresOut,
    MatchOut,
    PlanOut,
    ProductOut,
    enterprise_attendance_out,
    fair_out,
    figures_out,
    match_out,
    plan_out,
    product_out,
)
from matchmaking.storage import Store
from shared.campaigns import CampaignBook
from shared.reference import ReferenceData

GoalOf = Callable[[Match], int]


def goals_of(book: CampaignBook) -> GoalOf:
    """Each pairing's credit process goal: its campaign's."""

    def goal(match: Match) -> int:
        return credit_goal(book, match.county_code, match.matched_on, match.institution_id)

    return goal


async def fairs(
    store: Store, county_code: str | None, campaign: ReferenceData | None = None
) -> list[FairOut]:
    found = await store.fairs.find(county_code)
    if campaign is not None:
        found = [f for f in found if in_campaign(campaign, f.county_code, f.held_on)]
    return [fair_out(f) for f in found]


async def fair(store: Store, fair_id: str) -> FairOut | None:
    found = await store.fairs.get(fair_id)
    return fair_out(found) if found is not None else None


async def fair_detail(store: Store, fair_id: str, goal_of: GoalOf) -> FairDetail | None:
    fair = await store.fairs.get(fair_id)
    if fair is None:
        return None
    present = await store.attendance.of_fair(fair_id)
    return FairDetail(
        **fair_out(fair).model_dump(),
        enterprises=[
            enterprise_attendance_out(a) for a in present if a.kind is AttendeeKind.ENTERPRISE
        ],
        institutions=[a.attendee for a in present if a.kind is AttendeeKind.INSTITUTION],
        matches=[
            await pairing(store, m, goal_of(m)) for m in await store.matches.find(fair_id=fair_id)
        ],
    )


async def matches(
    store: Store,
    goal_of: GoalOf,
    *,
    institution_id: str | None,
    uscc: str | None,
    campaign: ReferenceData | None = None,
) -> list[MatchOut]:
    found = await store.matches.find(institution_id=institution_id, uscc=uscc)
    if campaign is not None:
        found = [m for m in found if in_campaign(campaign, m.county_code, m.matched_on)]
    return [await pairing(store, m, goal_of(m)) for m in found]


async def match(store: Store, match_id: str, goal_of: GoalOf) -> MatchOut | None:
    found = await store.matches.find(match_id=match_id)
    return await pairing(store, found[0], goal_of(found[0])) if found else None


async def pairing(store: Store, match: Match, goal: int) -> MatchOut:
    """The pairing with the outcomes that still count for it, timed against `goal` (the
    pairing's campaign's)."""
    credited = await store.outcomes.attributed(match_id=match.match_id)
    return match_out(
        match, standing(_correlated({match.match_id: match}, credited, lambda _: goal))
    )


async def plan(store: Store, uscc: str) -> PlanOut | None:
    current = await store.plans.get(uscc)
    visits = await store.visits.of(uscc)
    if current is None and not visits:
        return None
    return plan_out(uscc, current, visits)


async def products(store: Store, institution_id: str | None = None) -> list[ProductOut]:
    return [product_out(p) for p in await store.products.find(institution_id)]


async def institution_figures(
    store: Store,
    book: CampaignBook,
    institution_id: str,
    campaign: ReferenceData | None = None,
) -> FiguresOut:
    """The institution's pairings and their outcomes: all of them, or a campaign's (of its
    counties and window). Each outcome is timed against its pairing's campaign's goal; the
    goal shown is the campaign's, else that of the institution's latest campaign."""
    paired = await store.matches.find(institution_id=institution_id)
    if campaign is not None:
        paired = [m for m in paired if in_campaign(campaign, m.county_code, m.matched_on)]
    by_id = {m.match_id: m for m in paired}
    credited = [
        a
        for a in await store.outcomes.attributed(institution_id=institution_id)
        if a.match_id in by_id
    ]
    correlated = _correlated(by_id, credited, goals_of(book))
    shown = campaign or _latest_campaign_of(book, institution_id)
    goal = shown.campaign.credit_process_goal_workdays
    result = figures(institution_id, paired, correlated, goal)
    name = (
        campaign.institution(institution_id) if campaign else book.institution(institution_id)
    ).name
    return figures_out(result, name)


def _latest_campaign_of(book: CampaignBook, institution_id: str) -> ReferenceData:
    having = [c for c in book.campaigns if institution_id in c.institution_ids]
    return having[-1] if having else book.campaigns[-1]


def _correlated(
    by_id: dict[str, Match], credited: list[Attribution], goal_of: GoalOf
) -> list[Correlated]:
    return [
        Correlated(
            by_id[a.match_id],
            a.outcome,
            timing(a.outcome, by_id[a.match_id], goal_of(by_id[a.match_id])),
            a.reversal,
        )
        for a in credited
    ]
