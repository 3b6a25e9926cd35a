"""What every service's routes depend on, one way in all five: the runtime, the handlers, a
store over a connection of its own for reads, the campaign a call means (and the book of
them all), and now by the platform's clock. Each comes from the `Service` its composition
root built (`shared.service`).

A service's `api.py` types the two parts that are its own:

    HandlersDep = Annotated[Handlers, Depends(handlers_of)]
    StoreDep = Annotated[Store, Depends(reading)]
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request

from shared.auth import Caller, Role
from shared.campaigns import (
    AmbiguousCampaignError,
    CampaignBook,
    NoCampaignError,
    UnknownCampaignError,
)
from shared.reference import CAMPAIGN_ID_PATTERN, ReferenceData
from shared.service import Runtime, Service


def service_of(request: Request) -> Service[Any]:
    found: Service[Any] = request.app.state.service
    return found


def runtime_of(request: Request) -> Runtime:
    return service_of(request).runtime


def handlers_of(request: Request) -> Any:
    return service_of(request).handlers


def book_of(request: Request) -> CampaignBook:
    return runtime_of(request).campaigns()


def caller_of(request: Request) -> Caller | None:
    access = getattr(request.state, "access", None)
    caller = getattr(access, "caller", None)
    return caller if isinstance(caller, Caller) else None


CampaignParam = Annotated[
    str | None,
    Query(
        pattern=CAMPAIGN_ID_PATTERN,
        description="The campaign (GET /campaigns); left out: the one running in the "
        "caller's region today, or the only one there is (409 naming the candidates when "
        "several could be meant).",
    ),
]


def resolve_campaign(
    request: Request,
    requested: str | None,
    *,
    county_code: str | None = None,
    region_code: str | None = None,
) -> ReferenceData:
    """The campaign a call means (shared.campaigns.CampaignBook.resolve), refused when the
    caller may not read its region: 422 naming `campaign` for an unknown one, 409 naming
    the candidates, 404 when no campaign covers the county or region, 403 for another
    region's."""
    book, today, caller = book_of(request), today_of(request), caller_of(request)
    if county_code is None and region_code is None and caller is not None:
        region_code = _callers_region(book, caller)
    try:
        found = book.resolve(requested, today, county_code=county_code, region_code=region_code)
    except UnknownCampaignError as error:
        raise HTTPException(422, [{"field": "campaign", "message": str(error)}]) from error
    except AmbiguousCampaignError as error:
        detail = {"field": "campaign", "message": str(error), "candidates": error.candidates}
        raise HTTPException(409, [detail]) from error
    except NoCampaignError as error:
        raise HTTPException(404, [{"field": "campaign", "message": str(error)}]) from error
    if caller is not None and not caller.sees_region(found.region.code, found.county_codes):
        needs = f"needs a scope of the region {found.region.code} ({found.region.name})"
        raise HTTPException(403, [{"field": "campaign", "message": needs}])
    return found


def _callers_region(book: CampaignBook, caller: Caller) -> str | None:
    """The one region a city's or a county's token belongs to, if it names one."""
    regions = set(caller.units(Role.CENTRAL))
    for county in caller.units(Role.COUNTY):
        region = book.region_of_county(county)
        if region is not None:
            regions.add(region.code)
    if caller.has(Role.CENTRAL) or caller.has(Role.PROVINCE) or len(regions) != 1:
        return None
    return regions.pop()


def campaign_of(request: Request, campaign: CampaignParam = None) -> ReferenceData:
    """The campaign of a call that names it by `?campaign=` (or means the caller's)."""
    return resolve_campaign(request, campaign)


def now_of(request: Request) -> datetime:
    """Now by the platform's clock (a fixed or a replayed day, else the real time)."""
    return service_of(request).clock()


def today_of(request: Request) -> date:
    return now_of(request).date()


async def reading(request: Request) -> AsyncIterator[Any]:
    """The service's store over a connection of its own, for reads."""
    runtime = runtime_of(request)
    async with runtime.engine.connect() as connection:
        yield runtime.store(connection)


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
CampaignDep = Annotated[ReferenceData, Depends(campaign_of)]
BookDep = Annotated[CampaignBook, Depends(book_of)]
NowDep = Annotated[datetime, Depends(now_of)]
TodayDep = Annotated[date, Depends(today_of)]
