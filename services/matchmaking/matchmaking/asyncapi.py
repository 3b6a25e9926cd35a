"""The platform's event catalogue (shared/asyncapi.py), served where bank integrators and
fair organizers already go."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from shared.asyncapi import document, page

router = APIRouter(tags=["events"])


@router.get("/asyncapi.json", summary="AsyncAPI 3.0 document of the platform's topics")
async def asyncapi_json() -> dict[str, Any]:
    return document()


@router.get("/asyncapi", response_class=HTMLResponse, summary="The same, as a page")
async def asyncapi_page() -> HTMLResponse:
    return HTMLResponse(page())
