"""The ledger service's status grid (unit × month), fetched for the browser so that the
dashboard talks to one origin; when the ledger service cannot answer, the panel says so."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, Field, ValidationError

TIMEOUT_SECONDS = 3.0


class LedgerCell(BaseModel):
    unit_id: str
    unit_name: str
    level: str
    period: str
    due_at: str
    ledger: str = Field(description="on_time | late | overdue | not_due")
    submitted_at: str | None = None
    special_report: str = Field(description="filed | missing | not_due")


class LedgerStatusOut(BaseModel):
    available: bool
    message: str | None = Field(default=None, description="Why the grid is missing.")
    as_of: str | None = None
    periods: list[str] = Field(default_factory=list)
    cells: list[LedgerCell] = Field(default_factory=list)


def unavailable(why: str) -> LedgerStatusOut:
    message = f"台帐服务不可用 ledger service unavailable: {why}"
    return LedgerStatusOut(available=False, message=message)


async def fetch_ledger_status(
    ledger_url: str, authorization: str | None, campaign: str | None = None
) -> LedgerStatusOut:
    url = f"{ledger_url.rstrip('/')}/ledgers/status"
    headers = {"authorization": authorization} if authorization else {}
    params = {"campaign": campaign} if campaign else {}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.get(url, headers=headers, params=params)
    except httpx.HTTPError as error:
        return unavailable(type(error).__name__)
    if response.status_code != 200:
        return unavailable(f"HTTP {response.status_code}")
    try:
        body: dict[str, Any] = response.json()
        return LedgerStatusOut(available=True, **body)
    except (ValueError, TypeError, ValidationError):
        return unavailable("unexpected answer")
