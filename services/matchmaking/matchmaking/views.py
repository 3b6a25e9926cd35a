"""What matchmaking's GET endpoints answer: read-only queries over the store, shown with the
schemas."""

from __future__ import annotations

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
from shared.reference import ReferenceData


async def fairs(store: Store, county_code: str | None) -> list[FairOut]:
    return [fair_out(f) for f in await store.fairs.find(county_code)]


async def fair(store: Store, fair_id: str) -> FairOut | None:
    found = await store.fairs.get(fair_id)
    return fair_out(found) if found is not None else None


async def fair_detail(store: Store, fair_id: str, goal: int) -> FairDetail | None:
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
        matches=[await pairing(store, m, goal) for m in await store.matches.find(fair_id=fair_id)],
    )


async def matches(
    store: Store, goal: int, *, institution_id: str | None, uscc: str | None
) -> list[MatchOut]:
    found = await store.matches.find(institution_id=institution_id, uscc=uscc)
    return [await pairing(store, m, goal) for m in found]


async def match(store: Store, match_id: str, goal: int) -> MatchOut | None:
    found = await store.matches.find(match_id=match_id)
    return await pairing(store, found[0], goal) if found else None


async def pairing(store: Store, match: Match, goal: int) -> MatchOut:
    """The pairing with the outcomes that still count for it."""
    credited = await store.outcomes.attributed(match_id=match.match_id)
    return match_out(match, standing(_correlated({match.match_id: match}, credited, goal)))


async def plan(store: Store, uscc: str) -> PlanOut | None:
    current = await store.plans.get(uscc)
    visits = await store.visits.of(uscc)
    if current is None and not visits:
        return None
    return plan_out(uscc, current, visits)


async def products(store: Store, institution_id: str | None = None) -> list[ProductOut]:
    return [product_out(p) for p in await store.products.find(institution_id)]


async def institution_figures(
    store: Store, reference: ReferenceData, institution_id: str
) -> FiguresOut:
    goal = reference.campaign.credit_process_goal_workdays
    paired = await store.matches.find(institution_id=institution_id)
    credited = await store.outcomes.attributed(institution_id=institution_id)
    correlated = _correlated({m.match_id: m for m in paired}, credited, goal)
    result = figures(institution_id, paired, correlated, goal)
    return figures_out(result, reference.institution(institution_id).name)


def _correlated(
    by_id: dict[str, Match], credited: list[Attribution], goal: int
) -> list[Correlated]:
    return [
        Correlated(
            by_id[a.match_id],
            a.outcome,
            timing(a.outcome, by_id[a.match_id], goal),
            a.reversal,
        )
        for a in credited
    ]
