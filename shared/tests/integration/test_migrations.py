"""The platform's tables have one chain of revisions (shared/schema) that every service's
history merges: each service's history has one head, over the whole chain; every revision
id a database records keeps its meaning; and a database at any of them, with rows in the
inbox, the outbox and the audit trail, upgrades in place to the schema a fresh database
gets, keeping its rows."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import create_engine
from shared.migrations import PLATFORM_VERSIONS, alembic_config, upgrade
from shared.provision import ROOT, SERVICES, drop_database, ensure_database, settings_for
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

P1, P2, P3, P4 = "platform_0001", "platform_0002", "platform_0003", "platform_0004"
# The ids that databases made before the platform's revisions were a chain of their own may
# record, and the last platform revision each stands for: where each service took the inbox
# and the outbox, then the inbox's fingerprint, then the audit trail, then the audit per batch
# (with the inbox's places).
RECORDED: dict[str, dict[str, str]] = {
    "roster": {"0001": P1, "0002": P1, "0003": P2, "0004": P3, "0005": P3, "0006": P4},
    "matchmaking": {
        **{"0001": P1, "0002": P1, "0003": P2, "0004": P2, "0005": P3, "0006": P3},
        "0007": P4,
    },
    "ledger": {"0001": P1, "0002": P1, "0003": P2, "0004": P3, "0005": P3, "0006": P4},
    "assessment": {
        **{"0001": P1, "0002": P1, "0003": P2, "0004": P2},
        **{"0005": P3, "0006": P3, "0007": P3, "0008": P3, "0009": P3, "0010": P3},
        "0011": P4,
    },
    "fineract": {"0001": P3, "0002": P4},
}
# What a database is made of, in an order of its own: columns (with their place), constraints,
# indexes, triggers, functions and sequences.
SCHEMA = (
    """SELECT table_name, ordinal_position, column_name, data_type, is_nullable, column_default
    FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2""",
    """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2""",
    """SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
    ORDER BY 1, 2""",
    """SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger
    WHERE NOT tgisinternal ORDER BY 1, 2""",
    """SELECT proname, pg_get_functiondef(oid) FROM pg_proc
    WHERE pronamespace = 'public'::regnamespace ORDER BY 1""",
    """SELECT sequence_name, data_type FROM information_schema.sequences
    WHERE sequence_schema = 'public' ORDER BY 1""",
)
KEYS = {"inbox": "source, event_id", "outbox": "id", "audit": "id", "audit_batches": "id"}
SAMPLES: dict[str, list[dict[str, object]]] = {
    "inbox": [
        {
            "source": "bank.icbc",
            "event_id": f"loan-{n}",
            "event_type": "cn.firstloan.LoanIssued",
            "fingerprint": f"sha256:{n}",
            "topic": "bank.icbc.events",
            "partition": 1,
            "offset": 40 + n,
        }
        for n in range(3)
    ],
    "outbox": [
        {"topic": "roster.events", "key": b"91140902MA0GXXXX0X", "value": f"event {n}".encode()}
        for n in range(3)
    ],
    "audit": [
        {
            "actor": "central",
            "action": "POST /enterprises/{uscc}/delist",
            "target": f"/enterprises/{n}/delist",
            "origin": "127.0.0.1",
            "outcome": "committed",
        }
        for n in range(2)
    ],
    "audit_batches": [
        {
            "consumer": "roster.bank",
            "actor": "bank.icbc",
            "topic": "bank.icbc.events",
            "partition": 1,
            "first_offset": 40,
            "last_offset": 42,
            "records": 3,
            "applied": 3,
            "dead_lettered": 0,
            "by_type": '{"cn.firstloan.LoanIssued": 3}',
        }
    ],
}

T = TypeVar("T")
Schema = list[list[tuple[object, ...]]]
Rows = dict[str, list[tuple[object, ...]]]


def service_dir(service: str) -> Path:
    return ROOT / "services" / service


def script_of(service: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(service_dir(service), "postgresql://"))


def platform_script() -> ScriptDirectory:
    """The platform's revisions alone (any service's directory lends the template)."""
    return ScriptDirectory(
        str(service_dir("roster") / "migrations"), version_locations=[str(PLATFORM_VERSIONS)]
    )


def platform_chain() -> list[str]:
    """The platform's revisions, first to last."""
    return [script.revision for script in platform_script().walk_revisions()][::-1]


def ancestors(script: ScriptDirectory, revision: str) -> set[str]:
    return {s.revision for s in script.revision_map.iterate_revisions(revision, "base")}


def test_the_platform_revisions_are_one_chain() -> None:
    platform = platform_script()
    assert len(platform.get_bases()) == len(platform.get_heads()) == 1
    assert not any(s.is_merge_point or s.is_branch_point for s in platform.walk_revisions())
    assert platform_chain()[:4] == [P1, P2, P3, P4]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_history_has_one_head_over_the_whole_platform_chain(service: str) -> None:
    script = script_of(service)
    heads = script.get_heads()
    assert len(heads) == 1, f"{service}: merge the platform's new revision ({heads})"
    assert set(platform_chain()) <= ancestors(script, heads[0])


@pytest.mark.parametrize("service", SERVICES)
def test_each_recorded_id_stands_for_the_platform_revisions_it_stood_for(service: str) -> None:
    script, chain = script_of(service), platform_chain()
    for revision, platform in RECORDED[service].items():
        taken = [p for p in chain if p in ancestors(script, revision)]
        assert taken == chain[: chain.index(platform) + 1], (service, revision)


@pytest.fixture(scope="module")
async def fresh() -> dict[str, Schema]:
    """Each service's schema as a database made now gets it."""
    schemas: dict[str, Schema] = {}
    for service in SERVICES:
        async with scratch_database(service) as settings:
            await asyncio.to_thread(upgrade, service_dir(service), settings.database_url())
            schemas[service] = await on(settings, schema_of)
    return schemas


@pytest.mark.parametrize(
    ("service", "revision"),
    [(service, revision) for service, recorded in RECORDED.items() for revision in recorded],
)
async def test_a_database_at_a_recorded_id_upgrades_in_place_keeping_its_rows(
    service: str, revision: str, fresh: dict[str, Schema]
) -> None:
    chain = platform_chain()
    taken = set(chain[: chain.index(RECORDED[service][revision]) + 1])
    async with scratch_database(service) as settings:
        url = settings.database_url()
        config = alembic_config(service_dir(service), url)
        await asyncio.to_thread(command.upgrade, config, revision)
        columns = await on(settings, shared_columns)
        audit = {"audit"} if P3 in taken else set()
        assert set(columns) == {"inbox", "outbox"} | audit | (
            {"audit_batches"} if P4 in taken else set()
        )
        assert ("fingerprint" in columns["inbox"]) == (P2 in taken)
        assert ("offset" in columns["inbox"]) == (P4 in taken)
        await on(settings, lambda connection: fill(connection, columns))
        before = await on(settings, lambda connection: rows_of(connection, columns))

        await asyncio.to_thread(upgrade, service_dir(service), url)

        assert await on(settings, lambda connection: rows_of(connection, columns)) == before
        assert await on(settings, schema_of) == fresh[service]
        assert await on(settings, versions) == list(script_of(service).get_heads())


@contextlib.asynccontextmanager
async def scratch_database(service: str) -> AsyncIterator[ServiceSettings]:
    settings = settings_for(service, f"m{secrets.token_hex(4)}")
    await ensure_database(settings)
    try:
        yield settings
    finally:
        await drop_database(settings)


async def on(settings: ServiceSettings, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    engine = create_engine(settings, role="test")
    try:
        async with engine.begin() as connection:
            return await work(connection)
    finally:
        await engine.dispose()


async def schema_of(connection: AsyncConnection) -> Schema:
    return [[tuple(row) for row in await connection.execute(text(query))] for query in SCHEMA]


async def versions(connection: AsyncConnection) -> list[str]:
    rows = await connection.execute(text("SELECT version_num FROM alembic_version ORDER BY 1"))
    return list(rows.scalars())


async def shared_columns(connection: AsyncConnection) -> dict[str, list[str]]:
    rows = await connection.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public'"
            " AND table_name IN ('inbox', 'outbox', 'audit', 'audit_batches')"
            " ORDER BY table_name, ordinal_position"
        )
    )
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    return columns


async def fill(connection: AsyncConnection, columns: dict[str, list[str]]) -> None:
    """Rows such as the platform writes, in the columns the database has so far."""
    for table, rows in SAMPLES.items():
        if table in columns:
            names = [name for name in rows[0] if name in columns[table]]
            statement = text(
                f"INSERT INTO {table} ({quoted(names)})"
                f" VALUES ({', '.join(f':{name}' for name in names)})"
            )
            await connection.execute(statement, [{n: row[n] for n in names} for row in rows])


def quoted(names: list[str]) -> str:
    """Column names as SQL identifiers (the inbox has an `offset`)."""
    return ", ".join(f'"{name}"' for name in names)


async def rows_of(connection: AsyncConnection, columns: dict[str, list[str]]) -> Rows:
    return {
        table: [
            tuple(row)
            for row in await connection.execute(
                text(f"SELECT {quoted(names)} FROM {table} ORDER BY {KEYS[table]}")
            )
        ]
        for table, names in columns.items()
    }
