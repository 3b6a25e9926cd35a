"""Hostile xlsx files through the roster's real upload route: each is answered 422 (413 when
too large) naming the field `file` and the limit, never 500."""

from __future__ import annotations

import httpx
import pytest

import roster.app
from roster.settings import RosterSettings
from roster.spreadsheets import XLSX
from shared.access_testing import bearer_headers
from shared.workbooks_testing import check_refusals

pytestmark = pytest.mark.integration


async def test_hostile_uploads_are_refused_naming_the_file(namespace: str) -> None:
    service = roster.app.build(RosterSettings(namespace=namespace))
    transport = httpx.ASGITransport(app=service.app)
    headers = bearer_headers(service.settings)
    async with (
        service.runtime.running(),
        httpx.AsyncClient(transport=transport, base_url="http://roster", headers=headers) as http,
    ):
        await check_refusals(http, "/nominations/upload", XLSX)
