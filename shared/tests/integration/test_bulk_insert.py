"""Rows inserted as one array per column come back as they were given, whatever their types."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Column, Date, LargeBinary, MetaData, Table, Text, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import insert_rows
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

metadata = MetaData()
probe = Table(
    "bulk_insert_probe",
    metadata,
    Column("key", Text, primary_key=True),
    Column("day", Date),
    Column("document", JSONB),
    Column("names", ARRAY(Text)),
    Column("body", LargeBinary),
)

ROWS: list[dict[str, Any]] = [
    {
        "key": "a",
        "day": date(2020, 9, 1),
        "document": {"名": ["忻州", 1, None]},
        "names": ["icbc", 'with "quotes"', "back\\slash", "逗,号", ""],
        "body": b"\x00\xff",
    },
    {"key": "b", "day": None, "document": None, "names": [], "body": None},
]


async def test_rows_come_back_as_given(private_namespace: str) -> None:
    settings = ServiceSettings(service="roster", namespace=private_namespace)
    engine = create_async_engine(settings.database_url())
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await insert_rows(connection, probe, ROWS)
            await insert_rows(connection, probe, [])
            stored = (await connection.execute(select(probe).order_by(probe.c.key))).all()
            null_documents = await connection.scalar(
                select(probe.c.key).where(probe.c.document.is_(None))
            )
            await connection.run_sync(metadata.drop_all)
    finally:
        await engine.dispose()
    assert [dict(row._mapping) for row in stored] == ROWS
    # A Python None is SQL NULL, not the JSON null.
    assert null_documents == "b"
