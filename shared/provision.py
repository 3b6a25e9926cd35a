"""Provision the platform's storage: one database per service (created if missing), each
service's Alembic migrations, and every declared Kafka topic. Idempotent.

Usage: python -m shared.provision [--namespace NS] [--drop]
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import asyncpg

from shared.bus import create_topics, delete_topics
from shared.campaigns import load_campaigns
from shared.kafka_security import SERVICE_RIGHTS, apply_grants, ensure_principals, platform_grants
from shared.migrations import upgrade
from shared.settings import ServiceSettings
from shared.topics import platform_topics

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("roster", "matchmaking", "ledger", "assessment", "fineract")


def settings_for(service: str, namespace: str | None) -> ServiceSettings:
    settings = ServiceSettings(service=service)
    if namespace is None:
        return settings
    return settings.model_copy(update={"namespace": namespace})


async def _on_server(settings: ServiceSettings, statement: str, *args: object) -> object:
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE cannot
    run inside a service's own database)."""
    connection = await asyncpg.connect(
        host=settings.pg_host,
        port=settings.pg_port,
        user=settings.pg_user,
        password=settings.pg_password,
        database="postgres",
    )
    try:
        return await connection.fetchval(statement, *args)
    finally:
        await connection.close()


async def ensure_database(settings: ServiceSettings) -> None:
    exists = await _on_server(
        settings, "SELECT 1 FROM pg_database WHERE datname = $1", settings.database
    )
    if not exists:
        await _on_server(settings, f'CREATE DATABASE "{settings.database}"')


async def drop_database(settings: ServiceSettings) -> None:
    await _on_server(settings, f'DROP DATABASE IF EXISTS "{settings.database}" WITH (FORCE)')


async def provision(namespace: str | None = None, partitions: int = 3) -> None:
    for service in SERVICES:
        settings = settings_for(service, namespace)
        await ensure_database(settings)
        await asyncio.to_thread(upgrade, ROOT / "services" / service, settings.database_url())
    settings = settings_for("provision", namespace)
    reference = load_campaigns(settings.campaigns)
    await create_topics(settings, platform_topics(reference, partitions))
    await ensure_principals(settings, SERVICE_RIGHTS)
    await apply_grants(settings, platform_grants(reference, settings.namespace))


async def deprovision(namespace: str) -> None:
    for service in SERVICES:
        await drop_database(settings_for(service, namespace))
    settings = settings_for("provision", namespace)
    names = [settings.topic(t.name) for t in platform_topics(load_campaigns(settings.campaigns))]
    await delete_topics(settings, names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--namespace", default=None)
    parser.add_argument("--drop", action="store_true", help="drop the namespace's data instead")
    args = parser.parse_args()
    if args.drop:
        if not args.namespace:
            parser.error("--drop needs --namespace (the platform's own data is never dropped)")
        asyncio.run(deprovision(args.namespace))
    else:
        asyncio.run(provision(args.namespace))


if __name__ == "__main__":
    main()
