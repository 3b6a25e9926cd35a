"""A ledger database of before campaigns upgrades in place: everything filed belongs to
xinzhou-2020, and the keys of filings widen to the campaign; the upgraded schema is the
tables' (nothing for autogenerate to add)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ledger.storage import metadata
from shared.db import create_engine
from shared.migrations import alembic_config, upgrade
from shared.provision import drop_database, ensure_database, settings_for
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

SERVICE_DIR = Path(__file__).resolve().parents[2]
SNAPSHOT = '{"rows": []}'
BEFORE = (
    "INSERT INTO submissions (unit_id, period, version, submitted_at, late, row_count, "
    f"credit_amount_wan, loan_amount_wan, snapshot) VALUES ('icbc', '2020-10', 1, now(), "
    f"false, 0, 0, 0, '{SNAPSHOT}')",
    "INSERT INTO notices (kind, unit_id, period) VALUES ('ledger_overdue', 'icbc', '2020-10')",
    "INSERT INTO special_reports (report_id, unit_id, period, category, title, body, "
    "reported_at) VALUES ('r-1', '140902', '2020-10', 'typical_case', 't', 'b', now())",
    "INSERT INTO publicity_activities (activity_id, county_code, period, held_on, kind, title, "
    "participants, recorded_at) VALUES ('a-1', '140902', '2020-10', '2020-10-16', 'briefing', "
    "'t', 10, now())",
)


@contextlib.asynccontextmanager
async def scratch_database() -> AsyncIterator[ServiceSettings]:
    settings = settings_for("ledger", f"m{secrets.token_hex(4)}")
    await ensure_database(settings)
    try:
        yield settings
    finally:
        await drop_database(settings)


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_server_default": True})
    return list(compare_metadata(context, metadata))


async def test_filings_of_before_campaigns_are_xinzhou_2020s() -> None:
    async with scratch_database() as settings:
        url = settings.database_url()
        await asyncio.to_thread(command.upgrade, alembic_config(SERVICE_DIR, url), "0004")
        engine = create_engine(settings, role="test")
        try:
            async with engine.begin() as connection:
                for statement in BEFORE:
                    await connection.execute(text(statement))

            await asyncio.to_thread(upgrade, SERVICE_DIR, url)

            async with engine.begin() as connection:
                for table in ("submissions", "notices", "special_reports", "publicity_activities"):
                    found = await connection.scalars(text(f"SELECT campaign_id FROM {table}"))
                    assert list(found) == ["xinzhou-2020"], table
                # the same unit, month and version in another campaign is another filing
                await connection.execute(
                    text(
                        "INSERT INTO submissions (campaign_id, unit_id, period, version, "
                        "submitted_at, late, row_count, credit_amount_wan, loan_amount_wan, "
                        f"snapshot) VALUES ('yunzhou-2020', 'icbc', '2020-10', 1, now(), false, "
                        f"0, 0, 0, '{SNAPSHOT}')"
                    )
                )
                await connection.execute(
                    text(
                        "INSERT INTO notices (campaign_id, kind, unit_id, period) VALUES "
                        "('yunzhou-2020', 'ledger_overdue', 'icbc', '2020-10')"
                    )
                )
                assert await connection.run_sync(_differences) == []
        finally:
            await engine.dispose()
