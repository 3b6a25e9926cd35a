"""The steady load of a chaos run: nominations over HTTP and bank events on the bank topics,
with bad input of every kind mixed in, each message delivered twice at random moments (so
that copies and events arrive out of order across partitions and topics). Its clients
behave as real ones do: an HTTP call that times out, cannot connect or is answered 503 is
sent again, the same body with the same identifiers; a bank's send that fails is sent again
by a new producer."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from chaos.inputs import BAD_KINDS, UNKNOWN_INSTITUTION, BankRecord, Inputs, Nomination
from shared.auth import Scope, TokenIssuer
from shared.bus import new_producer
from shared.kafka_security import ADMIN, bank_principal
from shared.reference import ReferenceData
from shared.retrying import backoff_seconds
from shared.settings import ServiceSettings

log = logging.getLogger("chaos")
ROSTER = "http://127.0.0.1:8101"
GIVE_UP_SECONDS = 180.0
RETRIED_STATUSES = {502, 503, 504}


class NoAnswerError(RuntimeError):
    pass


@dataclass
class Sent:
    bank_records: int = 0
    bad_records: int = 0
    nominations: int = 0
    bad_nominations: int = 0
    http_retries: int = 0
    send_retries: int = 0
    valid_events: dict[tuple[str, str], str] = field(default_factory=dict)
    nominated: list[str] = field(default_factory=list)
    """USCCs answered 201: roster must know each."""
    unexpected: list[str] = field(default_factory=list)
    """Answers a client of the contract would not expect (a 5xx, a bad body taken)."""

    @property
    def events(self) -> int:
        return self.bank_records + self.nominations + self.bad_nominations


class Client:
    """HTTP as a real client does it: a timeout per call, and calls that got no answer (or
    a 503) sent again, identical, after a growing pause."""

    def __init__(self, settings: ServiceSettings, sent: Sent) -> None:
        token = TokenIssuer.from_settings(settings).issue(
            "chaos:client", [Scope.parse("central")], timedelta(hours=2)
        )
        self.http = httpx.AsyncClient(
            base_url=ROSTER, timeout=10, headers={"Authorization": f"Bearer {token}"}
        )
        self.sent = sent

    async def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        deadline = time.monotonic() + GIVE_UP_SECONDS
        failures = 0
        while True:
            try:
                response = await self.http.request(method, path, json=body)
                if response.status_code not in RETRIED_STATUSES:
                    return response
            except httpx.TransportError:
                pass
            failures += 1
            self.sent.http_retries += 1
            if time.monotonic() > deadline:
                raise NoAnswerError(f"{method} {path}: no answer within {GIVE_UP_SECONDS:.0f}s")
            await asyncio.sleep(backoff_seconds(failures, 4.0))

    async def close(self) -> None:
        await self.http.aclose()


class Banks:
    """Each bank publishes as its own principal; the topic of no institution is written by
    the operator (no bank may)."""

    def __init__(self, settings: ServiceSettings, sent: Sent) -> None:
        self.settings = settings
        self.sent = sent
        self.producers: dict[str, AIOKafkaProducer] = {}
        self.lock = asyncio.Lock()

    async def send(self, record: BankRecord) -> None:
        topic = self.settings.topic(f"bank.{record.institution}.events")
        deadline = time.monotonic() + GIVE_UP_SECONDS
        failures = 0
        while True:
            try:
                producer = await self._producer(record.institution)
                async with asyncio.timeout(30):
                    await producer.send_and_wait(
                        topic, record.value, key=record.key, headers=list(record.headers)
                    )
                return
            except Exception as error:
                failures += 1
                self.sent.send_retries += 1
                log.info("bank send failed (%s); a new producer sends it again", error)
                await self._drop(record.institution)
                if time.monotonic() > deadline:
                    raise NoAnswerError(
                        f"no send to {topic} within {GIVE_UP_SECONDS:.0f}s"
                    ) from error
                await asyncio.sleep(backoff_seconds(failures, 4.0))

    async def _producer(self, institution: str) -> AIOKafkaProducer:
        async with self.lock:
            if institution not in self.producers:
                principal = ADMIN if institution == UNKNOWN_INSTITUTION else None
                own = self.settings.model_copy(
                    update={"kafka_user": principal or bank_principal(institution)}
                )
                producer = new_producer(own, role="chaos")
                await producer.start()
                self.producers[institution] = producer
            return self.producers[institution]

    async def _drop(self, institution: str) -> None:
        async with self.lock:
            producer = self.producers.pop(institution, None)
        if producer is not None:
            try:
                async with asyncio.timeout(10):
                    await producer.stop()
            except Exception:
                log.info("stopping a failed producer failed", exc_info=True)

    async def close(self) -> None:
        for institution in list(self.producers):
            await self._drop(institution)


class Load:
    def __init__(
        self, settings: ServiceSettings, reference: ReferenceData, seed: int, per_second: float
    ) -> None:
        self.random = random.Random(seed)
        self.inputs = Inputs(reference, seed)
        self.sent = Sent()
        self.client = Client(settings, self.sent)
        self.banks = Banks(settings, self.sent)
        self.interval = 1 / per_second
        self.tasks: set[asyncio.Task[None]] = set()

    async def run(self, done: Callable[[], bool]) -> None:
        """Send until `done()`, then wait for every send still under way."""
        while not done():
            self._spawn(self._enterprise(self.inputs.nomination()))
            if self.random.random() < 0.4:
                kind = self.random.choice(BAD_KINDS)
                bad = self.inputs.bad_record(kind)
                if bad is not None:
                    self._twice(bad)
            if self.random.random() < 0.1:
                self._spawn(self._bad_nomination())
            await asyncio.sleep(self.interval)
        while self.tasks:
            await asyncio.gather(*list(self.tasks))

    async def close(self) -> None:
        await self.client.close()
        await self.banks.close()

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _twice(self, record: BankRecord) -> None:
        """Every message is delivered twice, each copy at a random moment of the next few
        seconds: copies and events overtake one another across partitions and topics."""
        self._spawn(self._send_later(record, self.random.uniform(0, 3)))
        self._spawn(self._send_later(record, self.random.uniform(1, 8)))

    async def _send_later(self, record: BankRecord, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.banks.send(record)
        if record.bad is not None:
            self.sent.bad_records += 1
        else:
            self.sent.bank_records += 1
            assert record.event is not None
            self.sent.valid_events[record.event[:2]] = record.event[2]
            self.inputs.sent(record)

    async def _enterprise(self, nomination: Nomination) -> None:
        response = await self.client.call("POST", "/nominations", nomination.body)
        self.sent.nominations += 1
        if response.status_code == 201:
            self.sent.nominated.append(nomination.uscc)
        elif response.status_code != 422:  # 422: refused on the rules (a loan came first)
            self.sent.unexpected.append(f"nomination: {response.status_code} {response.text}")
        for record in self.inputs.bank_events(nomination):
            self._twice(record)

    async def _bad_nomination(self) -> None:
        body = self.inputs.bad_nomination()
        response = await self.client.call("POST", "/nominations", body)
        self.sent.bad_nominations += 1
        if not 400 <= response.status_code < 500:
            self.sent.unexpected.append(f"bad nomination: {response.status_code}")

    async def unknown_nominations(self) -> int:
        """Nominations answered 201 that roster does not know."""
        missing = 0
        for uscc in self.sent.nominated:
            response = await self.client.call("GET", f"/enterprises/{uscc}")
            missing += response.status_code != 200
        return missing
