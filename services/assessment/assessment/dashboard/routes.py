"""The dashboard's HTTP routes: the pages, the live feed and the few reads the pages need
beyond the service's API (campaign clock, trend series, one unit's detail, checkpoints),
each of one campaign (`?campaign=`, as the API's), and one enterprise's file across every
campaign."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from assessment.api import LensesDep, ranking_of, settings_of
from assessment.dashboard import queries
from assessment.dashboard.enterprise_file import (
    EnterpriseFile,
    enterprise_file,
    ever_listed_in,
    known_to,
    within,
)
from assessment.dashboard.feed import Broadcaster, event_stream
from assessment.dashboard.ledger_status import LedgerStatusOut, fetch_ledger_status
from assessment.dashboard.series import first_loan_series, series_days
from assessment.documents import XLSX, ranking_xlsx
from assessment.domain.data_quality import DataQuality
from assessment.domain.facts import Loan
from assessment.schemas import (
    CampaignRefOut,
    DataQualityOut,
    StepOut,
    campaign_ref,
    data_quality_out,
)
from assessment.settings import AssessmentSettings
from assessment.storage import SqlStore, Store
from assessment.views import escalation_stories
from shared.campaigns import CampaignBook, CampaignStatus, RegionOut
from shared.dependencies import (
    BookDep,
    CampaignDep,
    CampaignParam,
    RuntimeDep,
    TodayDep,
    caller_of,
    reading,
    resolve_campaign,
    service_of,
)
from shared.reference import CAMPAIGN_ID_PATTERN, ReferenceData

if TYPE_CHECKING:
    from assessment.app import AssessmentService

STATIC = Path(__file__).parent / "static"

router = APIRouter()

Level = Literal["county", "institution"]


def feed_of(request: Request) -> Broadcaster:
    service = cast("AssessmentService", service_of(request))
    return service.feed


SettingsDep = Annotated[AssessmentSettings, Depends(settings_of)]
FeedDep = Annotated[Broadcaster, Depends(feed_of)]
StoreDep = Annotated[Store, Depends(reading)]


@router.get("/", include_in_schema=False)
async def index_page() -> FileResponse:
    return FileResponse(STATIC / "index.html")


@router.get("/cities", include_in_schema=False)
async def cities_page() -> FileResponse:
    """The province's page: every city's campaign side by side."""
    return FileResponse(STATIC / "province.html")


@router.get("/enterprises/{uscc}", include_in_schema=False)
async def enterprise_page(uscc: str) -> FileResponse:
    """One enterprise's file across campaigns (一企一档); the page reads its JSON, which says
    404 for an enterprise assessment knows nothing of."""
    return FileResponse(STATIC / "enterprise.html")


@router.get("/units/{unit_id}", include_in_schema=False)
async def unit_page(unit_id: str, book: BookDep) -> FileResponse:
    if not any(_named(c, unit_id) for c in book.campaigns):
        raise _no_unit(unit_id)
    return FileResponse(STATIC / "unit.html")


@router.get("/events/stream", tags=["dashboard"], summary="Escalations and attainment, live (SSE)")
async def stream(
    request: Request,
    config: SettingsDep,
    broadcaster: FeedDep,
    campaign: Annotated[
        str | None,
        Query(
            pattern=CAMPAIGN_ID_PATTERN,
            description="Only the campaign's events (left out: every campaign's).",
        ),
    ] = None,
) -> StreamingResponse:
    if campaign is not None:
        resolve_campaign(request, campaign)
    return StreamingResponse(
        event_stream(
            broadcaster, config.dashboard_heartbeat_seconds, request.is_disconnected, campaign
        ),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


class CategoryOut(BaseModel):
    id: str
    name: str


class CampaignOut(BaseModel):
    campaign_id: str
    region: RegionOut
    status: CampaignStatus
    name: str
    authority: str
    today: date
    start: date
    end: date
    days: int
    day_number: int
    days_left: int
    first_loan_rate_floor: float
    first_loan_rate_goal: float
    categories: list[CategoryOut]


@router.get("/dashboard/campaign", tags=["dashboard"], summary="The campaign and its clock")
async def get_campaign(known: CampaignDep, day: TodayDep) -> CampaignOut:
    campaign = known.campaign
    return CampaignOut(
        campaign_id=campaign.id,
        region=RegionOut(code=known.region.code, name=known.region.name),
        status=CampaignBook.status(known, day),
        name=campaign.name,
        authority=campaign.authority,
        today=day,
        start=campaign.start,
        end=campaign.end,
        days=campaign.days,
        day_number=campaign.day_number(day),
        days_left=max(0, (campaign.end - day).days),
        first_loan_rate_floor=campaign.first_loan_rate_floor,
        first_loan_rate_goal=campaign.first_loan_rate_goal,
        categories=[CategoryOut(id=c.id, name=c.name) for c in known.institution_categories],
    )


class PointOut(BaseModel):
    on: date
    expected_first_loans: float
    first_loans: int | None
    cultivated: int | None


class SeriesOut(BaseModel):
    as_of: date
    target_first_loans: int
    points: list[PointOut]


@router.get(
    "/dashboard/series",
    tags=["dashboard"],
    summary="City-wide first-loan households week by week, with the expected line",
)
async def get_series(
    known: CampaignDep, lenses: LensesDep, store: StoreDep, day: TodayDep
) -> SeriesOut:
    reference = known
    facts = await store.facts.load()
    # Pure counting over every enterprise for each week: off the event loop.
    points = await asyncio.to_thread(
        first_loan_series, facts, lenses, reference, series_days(reference, day), day
    )
    return SeriesOut(
        as_of=day,
        target_first_loans=sum(c.targets.first_loans for c in reference.counties),
        points=[PointOut(**vars(p)) for p in points],
    )


class LoanOut(BaseModel):
    institution_id: str
    loan_id: str
    issued_on: date
    amount_wan: str
    first_loan_attested: bool


class EnterpriseOut(BaseModel):
    uscc: str
    listed_in: str | None
    institutions: list[str]
    first_loan: LoanOut | None
    first_loan_county: str | None
    anomalies: int


class AnomalyOut(BaseModel):
    uscc: str
    claim: LoanOut
    evidence: list[LoanOut]


class EscalationOut(BaseModel):
    escalation_id: str
    reason: str
    severity: str
    status: str
    raised_at: datetime
    resolved_at: datetime | None
    as_of: date
    figures: dict[str, Any]
    history: list[dict[str, Any]]
    story: list[StepOut] = Field(
        default_factory=list,
        description="Every step: raised, upgraded, acknowledged, talks, rectifications, "
        "circular, resolved, oldest first.",
    )


class UnitDetailOut(BaseModel):
    campaign_id: str
    unit_id: str
    name: str
    level: Level
    category: str | None
    enterprises: list[EnterpriseOut]
    anomalies: list[AnomalyOut]
    escalations: list[EscalationOut]
    data_quality: DataQualityOut | None = Field(
        description="An institution's contradictory reports; none for a county."
    )


def _named(reference: ReferenceData, unit_id: str) -> tuple[str, Level, str | None] | None:
    for county in reference.counties:
        if county.code == unit_id:
            return county.name, "county", None
    for institution in reference.institutions:
        if institution.id == unit_id:
            return institution.name, "institution", institution.category
    return None


def _no_unit(unit_id: str, campaign_id: str | None = None) -> HTTPException:
    where = f" in {campaign_id}" if campaign_id else ""
    message = f"no county or institution {unit_id!r}{where}"
    return HTTPException(404, detail=[{"field": "unit_id", "message": message}])


def unit_name(reference: ReferenceData, unit_id: str) -> tuple[str, Level, str | None]:
    found = _named(reference, unit_id)
    if found is None:
        raise _no_unit(unit_id, reference.campaign.id)
    return found


def loan_out(data: dict[str, Any]) -> LoanOut:
    return LoanOut(
        institution_id=data["institution_id"],
        loan_id=data["loan_id"],
        issued_on=data["issued_on"],
        amount_wan=str(data["amount_wan"]),
        first_loan_attested=data["first_loan_attested"],
    )


def enterprise_out(row: Any) -> EnterpriseOut:
    first = row.first_loan
    return EnterpriseOut(
        uscc=row.uscc,
        listed_in=row.county_code,
        institutions=list(row.institutions),
        first_loan=None if first is None else loan_out(first),
        first_loan_county=None if first is None else first["county_code"],
        anomalies=len(row.anomalies),
    )


def anomalies_of(rows: list[Any], institution_id: str | None) -> list[AnomalyOut]:
    """Every anomaly of the rows; for an institution, only the claims it made."""
    return [
        AnomalyOut(
            uscc=row.uscc,
            claim=loan_out(a["claim"]),
            evidence=[loan_out(e) for e in a["evidence"]],
        )
        for row in rows
        for a in row.anomalies
        if institution_id is None or a["claim"]["institution_id"] == institution_id
    ]


@router.get(
    "/dashboard/units/{unit_id}",
    tags=["dashboard"],
    summary="One county's or institution's enterprises, anomalies and escalations",
)
async def get_unit_detail(
    unit_id: str, request: Request, rt: RuntimeDep, book: BookDep, campaign: CampaignParam = None
) -> UnitDetailOut:
    if not any(_named(c, unit_id) for c in book.campaigns):
        raise _no_unit(unit_id)
    county = unit_id if unit_id.isdigit() else None
    known = resolve_campaign(request, campaign, county_code=county)
    name, level, category = unit_name(known, unit_id)
    campaign_id = known.campaign.id
    quality: DataQualityOut | None = None
    async with rt.engine.connect() as connection:
        if level == "county":
            rows = await queries.county_outcomes(connection, campaign_id, unit_id)
        else:
            rows = await queries.institution_outcomes(connection, campaign_id, unit_id)
            found = await SqlStore(connection).data_quality.by_institution()
            quality = data_quality_out(found.get(unit_id, DataQuality()))
        escalated = await queries.unit_escalations(connection, campaign_id, unit_id)
        stories = {
            s["escalation_id"]: s["story"]
            for s in await escalation_stories(
                SqlStore(connection), [e.escalation_id for e in escalated]
            )
        }
    return UnitDetailOut(
        campaign_id=campaign_id,
        unit_id=unit_id,
        name=name,
        level=level,
        category=category,
        enterprises=[enterprise_out(r) for r in rows],
        anomalies=anomalies_of(rows, unit_id if level == "institution" else None),
        escalations=[
            EscalationOut.model_validate(
                dict(e._mapping) | {"story": stories.get(e.escalation_id, [])}
            )
            for e in escalated
        ],
        data_quality=quality,
    )


class CheckpointOut(BaseModel):
    campaign_id: str
    as_of: date
    run_at: datetime
    under_target: int
    ranking: str
    ranking_xlsx: str
    circular_docx: str


@router.get(
    "/checkpoints", tags=["escalations"], summary="The campaign's checkpoints run, latest first"
)
async def get_checkpoints(rt: RuntimeDep, known: CampaignDep) -> list[CheckpointOut]:
    campaign_id = known.campaign.id
    async with rt.engine.connect() as connection:
        rows = await queries.checkpoints_run(connection, campaign_id)
    of = f"?campaign={campaign_id}"
    return [
        CheckpointOut(
            campaign_id=campaign_id,
            as_of=r.as_of,
            run_at=r.run_at,
            under_target=r.under_target,
            ranking=f"/checkpoints/{r.as_of}/ranking{of}",
            ranking_xlsx=f"/checkpoints/{r.as_of}/ranking.xlsx{of}",
            circular_docx=f"/checkpoints/{r.as_of}/circular.docx{of}",
        )
        for r in rows
    ]


@router.get(
    "/checkpoints/{as_of}/ranking.xlsx",
    tags=["escalations"],
    summary="The checkpoint's ranking as xlsx, for a plain download link",
)
async def get_ranking_xlsx(as_of: date, store: StoreDep, known: CampaignDep) -> Response:
    disposition = f'attachment; filename="ranking-{as_of}.xlsx"'
    return Response(
        ranking_xlsx(await ranking_of(store, as_of, known)),
        media_type=XLSX,
        headers={"content-disposition": disposition},
    )


@router.get(
    "/dashboard/ledger-status",
    tags=["dashboard"],
    summary="The ledger service's status grid (unit x month), or why it is missing",
)
async def get_ledger_status(
    config: SettingsDep, request: Request, campaign: CampaignParam = None
) -> LedgerStatusOut:
    # The supervisor's own token: the ledger service decides what this caller may see, and
    # which campaign is meant when none is named.
    return await fetch_ledger_status(
        config.ledger_url, request.headers.get("authorization"), campaign
    )


class ListingPeriodOut(BaseModel):
    county_code: str
    county_name: str | None = Field(description="The county's name in the campaign.")
    listed_on: date
    delisted_on: date | None = Field(
        description="The first day off the list (or listed in another county); null: still listed."
    )


class AssignedOut(BaseModel):
    institution_id: str
    name: str
    assigned_on: date = Field(description="Its earliest assignment in the campaign.")


class FirstLoanOut(LoanOut):
    county_code: str = Field(description="The county it was listed in on the loan's date.")


class ClaimOut(BaseModel):
    claim: LoanOut
    evidence: list[LoanOut]


class CampaignPartOut(BaseModel):
    campaign: CampaignRefOut
    listings: list[ListingPeriodOut] = Field(description="Oldest first; empty: never listed.")
    listed_in: str | None = Field(description="The county it is listed in on `as_of`.")
    institutions: list[AssignedOut]
    first_loan: FirstLoanOut | None = Field(
        description="Its qualifying first loan in the campaign; null: none."
    )
    anomalies: list[ClaimOut] = Field(
        description="Its false first-loan claims counted in this campaign."
    )


class FiledLoanOut(LoanOut):
    applied_on: date | None
    guarantee: str | None
    annual_rate_pct: float | None
    reversed_on: date | None
    counted_in: list[str] = Field(
        description="The campaigns whose qualifying first loan it is (of those the caller "
        "reads); empty: none."
    )
    anomaly_in: str | None = Field(
        description="The campaign its contradicted first-loan claim counts in, if it is one."
    )


class ReversalOut(BaseModel):
    institution_id: str
    loan_id: str
    reversed_on: date


class PairingOut(BaseModel):
    institution_id: str
    matched_on: date


class EnterpriseFileOut(BaseModel):
    uscc: str
    as_of: date
    campaigns: list[CampaignPartOut] = Field(
        description="Each campaign it has a part in (listed, assigned, or a false claim "
        "counted there) that the caller reads, in the book's order."
    )
    loans: list[FiledLoanOut] = Field(description="Every loan reported, whatever campaign.")
    reversals: list[ReversalOut]
    pairings: list[PairingOut]


def _loan_fields(loan: Loan) -> dict[str, Any]:
    return {
        "institution_id": loan.institution_id,
        "loan_id": loan.loan_id,
        "issued_on": loan.issued_on,
        "amount_wan": loan.amount_wan,
        "first_loan_attested": loan.first_loan_attested,
    }


def enterprise_file_out(found: EnterpriseFile, book: CampaignBook, day: date) -> EnterpriseFileOut:
    parts = []
    for part in found.campaigns:
        reference = book.get(part.campaign_id)
        counties = {c.code: c.name for c in reference.counties}
        banks = {i.id: i.name for i in reference.institutions}
        first = part.outcome.first_loan
        parts.append(
            CampaignPartOut(
                campaign=campaign_ref(reference, day),
                listings=[
                    ListingPeriodOut(
                        county_code=p.county_code,
                        county_name=counties.get(p.county_code),
                        listed_on=p.listed_on,
                        delisted_on=p.delisted_on,
                    )
                    for p in part.listings
                ],
                listed_in=part.outcome.county_code,
                institutions=[
                    AssignedOut(
                        institution_id=a.institution_id,
                        name=banks.get(a.institution_id, a.institution_id),
                        assigned_on=a.assigned_on,
                    )
                    for a in part.assignments
                ],
                first_loan=None
                if first is None
                else FirstLoanOut(**_loan_fields(first.loan), county_code=first.county_code),
                anomalies=[
                    ClaimOut(
                        claim=LoanOut(**_loan_fields(a.claim)),
                        evidence=[LoanOut(**_loan_fields(e)) for e in a.evidence],
                    )
                    for a in part.outcome.anomalies
                ],
            )
        )
    return EnterpriseFileOut(
        uscc=found.uscc,
        as_of=day,
        campaigns=parts,
        loans=[
            FiledLoanOut(
                **_loan_fields(f.loan),
                applied_on=f.loan.applied_on,
                guarantee=f.loan.guarantee,
                annual_rate_pct=f.loan.annual_rate_pct,
                reversed_on=f.reversed_on,
                counted_in=list(f.counted_in),
                anomaly_in=f.anomaly_in,
            )
            for f in found.loans
        ],
        reversals=[
            ReversalOut(
                institution_id=r.institution_id, loan_id=r.loan_id, reversed_on=r.reversed_on
            )
            for r in found.reversals
        ],
        pairings=[
            PairingOut(institution_id=p.institution_id, matched_on=p.matched_on)
            for p in found.pairings
        ],
    )


def _not_found(field: str, message: str) -> HTTPException:
    return HTTPException(404, detail=[{"field": field, "message": message}])


@router.get(
    "/dashboard/enterprises/{uscc}",
    tags=["dashboard"],
    summary="One enterprise's file across every campaign (一企一档)",
)
async def get_enterprise_file(
    uscc: str,
    request: Request,
    store: StoreDep,
    lenses: LensesDep,
    day: TodayDep,
    county_code: Annotated[
        str | None,
        Query(
            description="Read as this county sub-branch (a `county:` token must name its own): "
            "404 unless the enterprise was ever listed in the county; only the campaigns "
            "that have the county."
        ),
    ] = None,
    institution_id: Annotated[
        str | None,
        Query(
            description="Read as this institution (an `institution:` token must name its "
            "own): 404 unless it was assigned the enterprise or lent to it; only the "
            "campaigns that have the institution."
        ),
    ] = None,
) -> EnterpriseFileOut:
    """Each campaign the enterprise has a part in, with its listing periods, institutions,
    first loan or none and anomalies there, counted by the rules today; and its loans,
    reversals and pairings, which belong to no campaign. A city's supervisors
    (`central:<region>`) see their city's campaigns only (403 when the enterprise has a part
    in none of them)."""
    facts = (await store.facts.load([uscc])).get(uscc)
    if facts is None:
        raise _not_found("uscc", f"assessment knows nothing of enterprise {uscc!r}")
    if county_code is not None and not ever_listed_in(facts, county_code):
        raise _not_found("county_code", f"enterprise {uscc!r} was never listed in {county_code}")
    if institution_id is not None and not known_to(facts, institution_id):
        raise _not_found(
            "institution_id",
            f"enterprise {uscc!r} was never assigned to {institution_id} nor lent to by it",
        )
    found = enterprise_file(facts, lenses, day)
    book = lenses.book
    caller = caller_of(request)
    seen = {
        r.campaign.id
        for r in book.campaigns
        if caller is None or caller.sees_region(r.region.code, r.county_codes)
    }
    if found.campaigns and not any(p.campaign_id in seen for p in found.campaigns):
        message = f"enterprise {uscc!r} has a part in no campaign of the caller's region"
        raise HTTPException(403, detail=[{"field": "uscc", "message": message}])
    readable = {
        r.campaign.id
        for r in book.campaigns
        if r.campaign.id in seen
        and (county_code is None or county_code in r.county_codes)
        and (institution_id is None or institution_id in r.institution_ids)
    }
    return enterprise_file_out(within(found, readable), book, day)
