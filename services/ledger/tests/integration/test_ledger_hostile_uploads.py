"""Hostile xlsx files through the ledger's real upload route: each is answered 422 (413 when
too large) naming the field `file` and the limit, never 500."""

from __future__ import annotations

import pytest

from ledger.spreadsheet import MEDIA_TYPE
from shared.workbooks_testing import check_refusals

from .ledger_fixtures import MovableClock, running_ledger, shanghai

pytestmark = pytest.mark.integration


async def test_hostile_uploads_are_refused_naming_the_file(namespace: str) -> None:
    async with running_ledger(namespace, MovableClock(shanghai(2020, 11, 3))) as (_, http):
        await check_refusals(http, "/ledgers/140922/2020-10/upload", MEDIA_TYPE)
