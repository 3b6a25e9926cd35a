"""Helpers of the ledger's integration tests: a movable clock, events as the producers
would publish them, and a running ledger app with a client carrying a token."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaProducer

import ledger.app
from ledger.settings import LedgerSettings
from shared.access_testing import bearer_headers
from shared.contracts.bank import BANK_SOURCE_PREFIX
from shared.envelope import new_event, to_structured
from shared.service import Service
from shared.testing import read_topic
from shared.topics import LEDGER_EVENTS, MATCHMAKING_EVENTS, ROSTER_EVENTS
from shared.validators import uscc_check_character

SHANGHAI = ZoneInfo("Asia/Shanghai")


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def new_uscc() -> str:
    body = "9114090" + "".join(secrets.choice("0123456789") for _ in range(10))
    return body + uscc_check_character(body)


def settings_for(namespace: str) -> LedgerSettings:
    return LedgerSettings(
        namespace=namespace,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        deadline_check_seconds=0.05,
    )


@contextlib.asynccontextmanager
async def running_ledger(
    namespace: str, clock: MovableClock
) -> AsyncIterator[tuple[Service[Any], httpx.AsyncClient]]:
    app = ledger.app.build(settings_for(namespace), clock=clock)
    runtime = app.runtime
    async with runtime.running(), client_of(app) as http:
        yield app, http


@contextlib.asynccontextmanager
async def client_of(app: Service[Any], *scopes: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` whose every request carries a token of `scopes` (a supervisor's,
    `central`, unless they say otherwise)."""
    runtime = app.runtime
    headers = bearer_headers(runtime.settings, *scopes)
    transport = httpx.ASGITransport(app=app.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://ledger", headers=headers
    ) as http:
        yield http


class Publisher:
    """Publishes as the banks, roster and matchmaking do, onto the test namespace."""

    def __init__(self, producer: AIOKafkaProducer, namespace: str) -> None:
        self.producer = producer
        self.settings = settings_for(namespace)

    async def bank(self, institution: str, name: str, key: str, **data: Any) -> None:
        """A bank event keyed (and with subject) `key`, the enterprise's USCC."""
        source = BANK_SOURCE_PREFIX + institution
        data = {"institution_id": institution, **data}
        await self._send(f"bank.{institution}.events", source, name, data, key)

    async def matched(self, uscc: str, institution: str, on: str, **extra: Any) -> None:
        data = {
            "match_id": secrets.token_hex(8),
            "uscc": uscc,
            "institution_id": institution,
            "matched_on": on,
            "channel": "fair",
        }
        await self._send(
            MATCHMAKING_EVENTS, "urn:firstloan:matchmaking", "EnterpriseMatched", data | extra, uscc
        )

    async def listed(self, uscc: str, name: str, county: str, on: str = "2020-09-05") -> None:
        data = {"uscc": uscc, "name": name, "county_code": county, "listed_on": on}
        await self._send(ROSTER_EVENTS, "urn:firstloan:roster", "EnterpriseListed", data, uscc)

    async def _send(
        self, topic: str, source: str, name: str, data: dict[str, Any], uscc: str | None
    ) -> None:
        event = new_event(name, source, data, subject=uscc)
        value, headers = to_structured(event)
        key = (uscc or data["institution_id"]).encode()
        await self.producer.send_and_wait(
            self.settings.topic(topic), value, key=key, headers=headers
        )


async def ledger_events(namespace: str, name: str) -> list[dict[str, Any]]:
    """The `data` of every `name` event now on the namespace's ledger topic."""
    settings = settings_for(namespace)
    records = await read_topic(settings.kafka_bootstrap, settings.topic(LEDGER_EVENTS))
    events = [json.loads(r.value) for r in records if r.value]
    return [e["data"] for e in events if e["type"] == f"cn.firstloan.{name}"]
