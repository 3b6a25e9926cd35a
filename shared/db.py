"""Database plumbing every service uses: metadata conventions, engine, sessions."""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    MetaData,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared.settings import ServiceSettings

# Stable constraint names, so that Alembic migrations are the same on every machine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(settings: ServiceSettings, role: str = "service") -> AsyncEngine:
    """`role` names the connections in pg_stat_activity (`<service>-<role>-<pid>`), so an
    operator sees which process holds what."""
    name = f"{settings.service}-{role}-{os.getpid()}"
    return create_async_engine(
        settings.database_url(),
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": name}},
    )


def _as_text(table: Table, name: str) -> bool:
    """JSON and array columns go as text, cast back: an array of arrays would be flattened
    by unnest, and asyncpg encodes no array of JSON."""
    return isinstance(table.c[name].type, JSON | ARRAY)


def _text_of(value: Any, column_type: Any) -> str | None:
    if value is None:
        return None
    if isinstance(column_type, JSON):
        return json.dumps(value, ensure_ascii=False)
    quoted = ('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"' for item in value)
    return "{" + ",".join(quoted) + "}"


def insert_unnested(table: Table, columns: Sequence[str]) -> Insert:
    """INSERT INTO table (columns) of the rows given as one array per column, each bound
    under its column's name (`as_arrays`): one statement and one parameter per column, whatever
    the number of rows. A multi-row VALUES has a parameter per value, each built and sent
    apart: in bulk it costs more than the database's own work."""
    arrays = [
        cast(bindparam(name), ARRAY(Text if _as_text(table, name) else table.c[name].type))
        for name in columns
    ]
    rows = func.unnest(*arrays).table_valued(*columns).render_derived(name="unnested")
    values = [
        cast(rows.c[name], table.c[name].type) if _as_text(table, name) else rows.c[name]
        for name in columns
    ]
    return insert(table).from_select(list(columns), select(*values))


def as_arrays(
    table: Table, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]
) -> dict[str, list[Any]]:
    """The parameters of `insert_unnested`: one list per column, row by row."""
    return {
        name: [_text_of(row[name], table.c[name].type) for row in rows]
        if _as_text(table, name)
        else [row[name] for row in rows]
        for name in columns
    }


def in_array(column: ColumnElement[Any], values: Collection[Any]) -> ColumnElement[bool]:
    """`column = ANY(:values)`: the list goes as one array parameter. `IN (...)` binds one
    parameter per value, each rendered and sent apart, at every execution."""
    return column == any_(cast(literal(list(values)), ARRAY(column.type)))


def pairs_in(
    first: ColumnElement[Any], second: ColumnElement[Any], pairs: Collection[tuple[Any, Any]]
) -> ColumnElement[bool]:
    """`(first, second) IN (SELECT * FROM unnest(:firsts, :seconds))`, two array parameters
    for any number of pairs (an index on the pair serves it)."""
    arrays = [
        cast(literal([p[i] for p in pairs]), ARRAY(column.type))
        for i, column in enumerate((first, second))
    ]
    rows = func.unnest(*arrays).table_valued("first", "second").render_derived(name="pairs")
    return tuple_(first, second).in_(select(rows.c.first, rows.c.second))


async def insert_rows(
    connection: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert rows (mappings with the same columns) in one statement of one array each."""
    if rows:
        columns = list(rows[0])
        await connection.execute(insert_unnested(table, columns), as_arrays(table, rows, columns))


# SQLSTATE classes of a server that went away or cannot serve now: connection exceptions (08),
# operator intervention (57: shutdown, restart, "the database system is starting up") and
# insufficient resources (53: too many connections).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "57", "53")


def is_transient(error: BaseException) -> bool:
    """Is `error` the infrastructure's (a database or broker unreachable or restarting), so
    that the same work may succeed when retried whole, rather than the work's own fault?

    A connection that PostgreSQL closes in the middle of a transaction surfaces as a plain
    `DBAPIError` with `connection_invalidated` set, not as an `OperationalError`: both, and
    the server's SQLSTATE, are looked at, also through the error's causes."""
    seen: BaseException | None = error
    for _ in range(8):  # a chain of causes, never a loop
        if seen is None:
            return False
        if isinstance(seen, OperationalError | InterfaceError | OSError | TimeoutError):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        state = getattr(getattr(seen, "orig", seen), "sqlstate", None)
        if isinstance(state, str) and state[:2] in _TRANSIENT_SQLSTATE_CLASSES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
