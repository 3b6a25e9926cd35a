"""The one bus setup: Kafka producer options, the FastStream broker, topic creation.

Every producer of the platform (the FastStream broker's and the outbox relay's) is built from
`producer_options`: acks from all in-sync replicas and the idempotent producer, so that a
retried send neither loses nor duplicates a record within a partition.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from faststream.security import SASLScram512

from shared.kafka_security import ADMIN, read_password
from shared.settings import ServiceSettings
from shared.topics import TopicSpec

log = logging.getLogger(__name__)
DEVELOPMENT_MODE_WARNING = (
    "KAFKA WITHOUT AUTHENTICATION (FIRSTLOAN_KAFKA_SECURITY=none): any process that reaches "
    "the broker may write any bank's topic. Development only."
)


def client_options(settings: ServiceSettings, principal: str | None = None) -> dict[str, Any]:
    """How every Kafka client of the platform connects: as `principal` (the settings' own
    by default) with SASL/SCRAM-SHA-512, or without authentication in development mode."""
    # A list: FastStream takes a comma-separated string for one host.
    servers = [server.strip() for server in settings.kafka_bootstrap.split(",")]
    options: dict[str, Any] = {"bootstrap_servers": servers}
    if settings.kafka_security == "none":
        log.warning(DEVELOPMENT_MODE_WARNING)
        return options
    user = principal or settings.kafka_principal
    return options | {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": user,
        "sasl_plain_password": read_password(settings.secrets_dir, user),
    }


def operator_options(bootstrap: str | None = None) -> dict[str, Any]:
    """The provisioning principal's connection (operators' tools, the test harness), with
    the security mode and secrets of this machine's environment."""
    settings = ServiceSettings(service="operator")
    if bootstrap is not None:
        settings = settings.model_copy(update={"kafka_bootstrap": bootstrap})
    return client_options(settings, ADMIN)


def admin_client(settings: ServiceSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        **client_options(settings, ADMIN), client_id=f"{settings.service}-admin"
    )


def producer_options(settings: ServiceSettings, role: str) -> dict[str, Any]:
    return {
        **client_options(settings),
        "client_id": f"{settings.service}-{role}",
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
    }


def new_producer(settings: ServiceSettings, role: str = "outbox") -> AIOKafkaProducer:
    return AIOKafkaProducer(**producer_options(settings, role))


def new_broker(settings: ServiceSettings) -> KafkaBroker:
    options = producer_options(settings, "broker")
    security = None
    if "sasl_mechanism" in options:
        security = SASLScram512(
            options.pop("sasl_plain_username"), options.pop("sasl_plain_password"), use_ssl=False
        )
        del options["sasl_mechanism"], options["security_protocol"]
    return KafkaBroker(
        options.pop("bootstrap_servers"),
        security=security,
        client_id=options.pop("client_id"),
        allow_auto_create_topics=False,
        metadata_max_age_ms=int(settings.topic_discovery_seconds * 1000),
        description=f"Firstloan {settings.service} service",
        logger=logging.getLogger(f"faststream.{settings.service}"),
        **options,
    )


# FastStream's default batch parser decodes every header as UTF-8 and its decoder parses
# JSON bodies; either raises on a malformed record before any handler runs, and the batch
# would be redelivered forever. The platform's consumers parse records themselves, so the
# parser sees no headers and the decoder keeps the raw records.
async def raw_batch_parser(
    records: tuple[Any, ...], original: Callable[[Any], Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    message = await original(tuple(dataclasses.replace(r, headers=[]) for r in records))
    message.raw_message = records
    return message


async def raw_batch_decoder(message: StreamMessage[Any]) -> Any:
    return message.raw_message


async def create_topics(settings: ServiceSettings, topics: Sequence[TopicSpec]) -> list[str]:
    """Create the declared topics that do not exist yet; return the names created."""
    admin = admin_client(settings)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=settings.topic(spec.name),
                num_partitions=spec.partitions,
                replication_factor=settings.kafka_replication_factor,
                topic_configs=spec.config(),
            )
            for spec in topics
            if settings.topic(spec.name) not in existing
        ]
        if wanted:
            # Another process may create the same topics at the same moment.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
        return [t.name for t in wanted]
    finally:
        await admin.close()


async def delete_topics(settings: ServiceSettings, names: Sequence[str]) -> None:
    admin = admin_client(settings)
    await admin.start()
    try:
        await admin.delete_topics(list(names))
    finally:
        await admin.close()
