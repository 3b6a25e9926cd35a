"""Assessment's HTTP API (thin: queries the read model)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from assessment.storage import listing_intervals
from shared.service import Runtime

router = APIRouter()


@router.get("/listings/count", tags=["attainment"], summary="Enterprises ever listed")
async def listings_count(request: Request) -> dict[str, int]:
    runtime: Runtime = request.app.state.runtime
    async with runtime.engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(listing_intervals))
    return {"listed": int(count or 0)}
