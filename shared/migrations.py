"""Alembic, the one migration tool: each service's `migrations/env.py` calls `run`.

The database URL comes from the service's settings unless the caller (provisioning, test
fixtures) passes one in `config.attributes["database_url"]`.

A new migration, generated from the difference between a service's tables and its local
database (brought to head first): `python -m shared.migrations SERVICE "what changed"`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import ServiceSettings


def alembic_config(service_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(service_dir: Path, database_url: str) -> None:
    command.upgrade(alembic_config(service_dir, database_url), "head")


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
    command.upgrade(config, "head")
    existing = sorted((service_dir / "migrations" / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    number = int(existing[-1].name[:4]) + 1 if existing else 1
    command.revision(config, message=message, autogenerate=True, rev_id=f"{number:04d}")


if __name__ == "__main__":
    import sys

    new_revision(sys.argv[1], sys.argv[2])
