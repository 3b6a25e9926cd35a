"""Settings every service shares; each service subclasses `ServiceSettings` once.

Values come from `FIRSTLOAN_*` environment variables. `namespace` prefixes every topic and
database name, so that a test run never touches the data of the running platform.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.origin import trusted_networks

# Where `make up` generates the platform's secrets (never committed: .state is ignored).
DEFAULT_SECRETS_DIR = Path(__file__).resolve().parent.parent / ".state" / "secrets"
# Written by `make up CLUSTER=3` (deploy/kafka.sh), removed by a single node's start: the
# cluster's bootstrap servers and replication factor, for every client started on this
# machine. An environment variable still wins over it.
CLUSTER_ENV_FILE = (
    Path(os.environ.get("FIRSTLOAN_STATE_DIR") or DEFAULT_SECRETS_DIR.parent)
    / "kafka"
    / "cluster.env"
)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FIRSTLOAN_", extra="ignore", env_file=CLUSTER_ENV_FILE
    )

    service: str = Field(description="Service name: client id, consumer group, database.")
    namespace: str = Field(default="", pattern=r"^([a-z][a-z0-9]{0,15})?$")
    http_host: str = "127.0.0.1"
    http_port: int = 8100

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security: Literal["scram", "none"] = Field(
        default="scram",
        description="`scram`: SASL/SCRAM-SHA-512 as `kafka_user`, under the broker's ACLs. "
        "`none`: plaintext without authentication, for development only (announced loudly).",
    )
    kafka_user: str | None = Field(
        default=None, description="Kafka principal; the service's own name when unset."
    )
    secrets_dir: Path = Field(
        default=DEFAULT_SECRETS_DIR,
        description="Generated secrets (Kafka passwords, the token key), mode 0600.",
    )
    http_auth: Literal["token", "none"] = Field(
        default="token",
        description="`token`: every HTTP request but the public ones carries a signed token "
        "(shared.auth). `none`: development only, every caller is a supervisor (announced "
        "loudly; refused where the environment variable CI is set).",
    )
    token_public_key_file: Path | None = Field(
        default=None,
        description="The key that verifies tokens; `<secrets_dir>/token-signing.pub` when unset.",
    )
    token_signing_key_file: Path | None = Field(
        default=None,
        description="The key that signs tokens (operators only); "
        "`<secrets_dir>/token-signing.key` when unset.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Reverse proxies (CIDR networks or addresses, comma-separated) whose "
        "X-Forwarded-For names a request's origin in the audit trail; empty: the socket's "
        "address is the origin, whatever a header says.",
    )
    token_leeway_seconds: float = Field(
        default=30.0, ge=0, le=300, description="Clock difference tolerated on expiry."
    )
    kafka_replication_factor: int = Field(default=1, ge=1)
    pg_host: str = "127.0.0.1"
    pg_port: int = 55432
    pg_user: str = "firstloan"
    pg_password: str = "firstloan"
    campaigns: Path | None = Field(
        default=None,
        description="The campaign files: a directory of `<id>.toml` or one file; unset: "
        "`.state/campaigns`, else the packaged campaign (shared.campaigns).",
    )

    # A bank topic created for a new institution is consumed within this time.
    topic_discovery_seconds: float = Field(default=10.0, gt=0)
    # Campaign files added or edited by operators are picked up within this time.
    campaigns_reload_seconds: float = Field(default=10.0, gt=0)
    consumer_batch_size: int = Field(default=500, ge=1)
    consumer_batch_timeout_ms: int = Field(default=200, ge=1)
    # A consumer silent this long (a paused or hung process) loses its partitions to the
    # other members of its group; the broker allows 6 s at least.
    consumer_session_timeout_ms: int = Field(default=10_000, ge=6_000)
    outbox_batch_size: int = Field(default=500, ge=1)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    # A producer that has made no progress for this long is replaced (see shared.outbox).
    outbox_stall_seconds: float = Field(default=30.0, gt=0)
    # An HTTP request that lost the database is served again whole for this long, then
    # answered 503 (shared.retrying).
    unavailable_patience_seconds: float = Field(default=30.0, gt=0)
    log_level: str = "INFO"
    clock_date: date | None = Field(
        default=None, description="A fixed 'today' for the whole service (demos, tests)."
    )
    clock_file: Path | None = Field(
        default=None,
        description="A file holding the current date (YYYY-MM-DD), re-read as it changes: "
        "lets a demo play a campaign at accelerated time.",
    )

    database_override: str | None = Field(
        default=None, description="Use this database instead of the service's own (rebuilds)."
    )

    @field_validator("trusted_proxies")
    @classmethod
    def proxies_parse(cls, setting: str) -> str:
        trusted_networks(setting)
        return setting

    @property
    def database(self) -> str:
        if self.database_override:
            return self.database_override
        return f"{self.namespace}_{self.service}" if self.namespace else self.service

    def database_url(self, database: str | None = None) -> str:
        return (
            f"postgresql+asyncpg://{self.pg_user}:{self.pg_password}"
            f"@{self.pg_host}:{self.pg_port}/{database or self.database}"
        )

    def topic(self, name: str) -> str:
        return f"{self.namespace}.{name}" if self.namespace else name

    @property
    def kafka_principal(self) -> str:
        return self.kafka_user or self.service

    @property
    def source(self) -> str:
        """CloudEvents `source` of every event this service publishes."""
        return f"urn:firstloan:{self.service}"
