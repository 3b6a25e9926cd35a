"""The bank integrators' AsyncAPI document, served by matchmaking (the service that fair
organizers and banks already deal with); the document itself is built by the shared intake,
from the models every consumer validates with."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from faststream.specification.asyncapi.site import get_asyncapi_html
from faststream.specification.base import Specification

from shared.intake import bank_asyncapi

router = APIRouter(tags=["bank integration"])


@cache
def _document() -> Specification:
    return bank_asyncapi()


@router.get("/asyncapi.json", summary="AsyncAPI 3.0 document of the bank topics")
async def asyncapi_json() -> Any:
    return _document().to_jsonable()


@router.get("/asyncapi", response_class=HTMLResponse, summary="The same, rendered")
async def asyncapi_page() -> HTMLResponse:
    return HTMLResponse(get_asyncapi_html(_document(), try_it_out_path=None))
