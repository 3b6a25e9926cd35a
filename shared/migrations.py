"""Alembic, the one migration tool: each service's `migrations/env.py` calls `run`.

A service's revisions are read from two version locations: its own
(`services/<name>/migrations/versions`) and the platform's (`shared/schema`: the inbox, the
outbox and the audit trail, which every service has), one graph with one head.

The database URL comes from the service's settings unless the caller (provisioning, test
fixtures) passes one in `config.attributes["database_url"]`.

A new migration, generated from the difference between a service's tables and its local
database (brought to head first): `python -m shared.migrations SERVICE "what changed"`.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import ServiceSettings

PLATFORM_VERSIONS = Path(__file__).resolve().parent / "schema"


def service_versions(service_dir: Path) -> Path:
    return service_dir / "migrations" / "versions"


def alembic_config(service_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(service_dir / "migrations"))
    # The OS's separator, so that a checkout's path may hold spaces or commas.
    config.set_main_option("path_separator", "os")
    locations = (service_versions(service_dir), PLATFORM_VERSIONS)
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    config.attributes["database_url"] = database_url
    return config


def no_schema_change() -> None:
    """The upgrade and the downgrade of a service revision that only merges a platform one:
    the revision keeps its place in the service's history, where databases record its id."""


def upgrade(service_dir: Path, database_url: str) -> None:
    # `heads`: a platform revision that no service revision merges yet still runs everywhere.
    command.upgrade(alembic_config(service_dir, database_url), "heads")


def run(metadata: MetaData, settings: ServiceSettings) -> None:
    url = context.config.attributes.get("database_url") or settings.database_url()
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, metadata))


async def _run_online(url: str, metadata: MetaData) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate, metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def _migrate(connection: Connection, metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def new_revision(service: str, message: str) -> None:
    root = Path(__file__).resolve().parent.parent
    service_dir = root / "services" / service
    config = alembic_config(service_dir, ServiceSettings(service=service).database_url())
    command.upgrade(config, "heads")
    versions = service_versions(service_dir)
    existing = sorted(versions.glob("[0-9][0-9][0-9][0-9]_*.py"))
    number = int(existing[-1].name[:4]) + 1 if existing else 1
    # On every head: a platform revision the service has not merged yet is merged by this one.
    command.revision(
        config,
        message=message,
        autogenerate=True,
        rev_id=f"{number:04d}",
        head="heads",
        version_path=str(versions),
    )


if __name__ == "__main__":
    import sys

    new_revision(sys.argv[1], sys.argv[2])
