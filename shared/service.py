"""One service process: the HTTP API (FastAPI) and the bus (FastStream) around one database.

Each service's composition root calls `Runtime.create`, registers its subscriptions, and
builds its app with `create_app`; the lifespan starts and stops the broker, the outbox relay
and the database pool together, and `GET /health` checks the database and Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AwareDatetime
from sqlalchemy import MetaData, text
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import bus
from shared.access import AccessTable, announce, protect
from shared.audit import CURRENT_REQUEST, AuditEntry, AuditTrail
from shared.campaigns import CampaignBook, CampaignOut, CampaignWatcher
from shared.cancellation import raise_if_cancelling
from shared.clock import Clock
from shared.consumer import (
    Accept,
    ConsumedRecord,
    Consumer,
    Registry,
    StoreFactory,
    accept_events,
)
from shared.db import create_engine
from shared.inbox import Inbox
from shared.intake import accept_bank_events
from shared.logs import configure_logging
from shared.outbox import Outbox, OutboxRelay, OutboxSink
from shared.reference import ReferenceData
from shared.retrying import RetryTransient
from shared.settings import ServiceSettings
from shared.text_guard import TextGuard
from shared.topics import BANK_TOPIC_PATTERN, DEAD_LETTER
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscription:
    """A consumer and what it reads: physical topic names, or a pattern over them."""

    consumer: Consumer
    topics: list[str]
    pattern: str | None


@dataclass
class Runtime:
    settings: ServiceSettings
    engine: AsyncEngine
    broker: KafkaBroker
    outbox: Outbox
    inbox: Inbox
    relay: OutboxRelay
    campaigns: CampaignWatcher
    store: StoreFactory
    # None only for the shared machinery's own test services, which keep no audit table.
    audit: AuditTrail | None = None
    consumers: list[Subscription] = field(default_factory=list)
    # Long-running loops (schedulers) that live as long as the service runs.
    background: dict[str, Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: ServiceSettings, metadata: MetaData, store: StoreFactory) -> Runtime:
        """`store` makes the service's store (its repositories) over a transaction's
        connection: every unit of work, of a command or of a consumed batch, gets one."""
        engine = create_engine(settings)
        outbox_table = metadata.tables["outbox"]
        return cls(
            settings=settings,
            engine=engine,
            broker=bus.new_broker(settings),
            outbox=Outbox(outbox_table),
            inbox=Inbox(metadata.tables["inbox"]),
            relay=OutboxRelay(
                engine,
                outbox_table,
                lambda: bus.new_producer(settings),
                batch_size=settings.outbox_batch_size,
                poll_seconds=settings.outbox_poll_seconds,
                stall_seconds=settings.outbox_stall_seconds,
            ),
            campaigns=CampaignWatcher(settings.campaigns, settings.campaigns_reload_seconds),
            store=store,
            audit=AuditTrail(metadata.tables["audit"]) if "audit" in metadata.tables else None,
        )

    def reference(self) -> ReferenceData:
        """The platform's one campaign, for the parts that know one (raises when several
        are known)."""
        return self.campaigns().sole()

    @property
    def book(self) -> CampaignBook:
        return self.campaigns()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork[Any]]:
        """One command's unit of work: its state change and the events it publishes commit
        together (the outbox), or not at all; the relay is woken after the commit. A command
        served over HTTP is audited in the same transaction (shared.audit)."""
        async with self.engine.begin() as connection:
            uow = UnitOfWork(
                self.store(connection),
                OutboxSink(self.outbox, connection),
                self.settings.topic,
                self.settings.source,
            )
            yield uow
            await uow.flush()
            request = CURRENT_REQUEST.get()
            if request is not None and self.audit is not None:
                entry = AuditEntry(
                    request.actor, request.action, request.target, request.origin, "committed"
                )
                await self.audit.record(connection, [entry])
        if request is not None:
            request.committed = True
        if uow.published:
            self.relay.notify()

    def subscribe(
        self,
        name: str,
        registry: Registry,
        *,
        topics: Sequence[str] = (),
        pattern: str | None = None,
        accept: Accept | None = None,
        audited: bool = False,
    ) -> Consumer:
        """Consume `topics` (logical names) or a `pattern` in batches, as group
        `<service>.<name>`, committing offsets only after the batch's transaction. The
        registry says which platform events are accepted (unless `accept` says otherwise)
        and which handler applies each."""
        consumer = Consumer(
            name=f"{self.settings.service}.{name}",
            engine=self.engine,
            inbox=self.inbox,
            outbox=self.outbox,
            dead_letter_topic=self.settings.topic(DEAD_LETTER),
            topic_name=self.settings.topic,
            source=self.settings.source,
            accept=accept or accept_events(registry.types),
            registry=registry,
            audit=self.audit if audited else None,
            store=self.store,
            on_commit=self.relay.notify,
        )
        subscriber = self.broker.subscriber(
            *(self.settings.topic(t) for t in topics),
            pattern=self._namespaced_pattern(pattern),
            group_id=self.settings.topic(consumer.name),
            batch=True,
            max_records=self.settings.consumer_batch_size,
            batch_timeout_ms=self.settings.consumer_batch_timeout_ms,
            session_timeout_ms=self.settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=self.settings.consumer_session_timeout_ms // 3,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            parser=bus.raw_batch_parser,
            decoder=bus.raw_batch_decoder,
            title=consumer.name,
        )

        @subscriber
        async def consume(message: KafkaMessage) -> None:
            records = message.raw_message
            await consumer.process([ConsumedRecord.from_kafka(r) for r in records])

        self.consumers.append(
            Subscription(
                consumer,
                [self.settings.topic(t) for t in topics],
                self._namespaced_pattern(pattern),
            )
        )
        return consumer

    def subscribe_bank_events(self, registry: Registry) -> Consumer:
        """Consume every bank topic, present and future, through the intake's checks."""
        name = f"{self.settings.service}.bank"
        return self.subscribe(
            "bank",
            registry,
            pattern=BANK_TOPIC_PATTERN,
            accept=accept_bank_events(name, self.campaigns),
            audited=True,  # writes from outside the platform: every one is audited
        )

    async def record_refusal(self, entry: AuditEntry) -> None:
        if self.audit is None:
            return
        try:
            async with self.engine.begin() as connection:
                await self.audit.record(connection, [entry])
        except Exception:
            # The request is refused either way: a lost record must not turn 401/403 into 500.
            raise_if_cancelling()
            log.error("could not audit a refused request: %s", entry, exc_info=True)

    def run_in_background(self, name: str, loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `loop()` as a task while the service runs (started after the broker,
        cancelled before it stops); the loop handles its own errors."""
        self.background[name] = loop

    def run_every(self, name: str, seconds: float, step: Callable[[], Awaitable[object]]) -> None:
        """Run `step()` now and then every `seconds` while the service runs. A failed step
        is logged and tried again at the next tick; cancellation always ends the loop."""

        async def loop() -> None:
            while True:
                raise_if_cancelling()
                try:
                    await step()
                except Exception:
                    raise_if_cancelling()
                    log.exception("%s failed; trying again in %.0fs", name, seconds)
                await asyncio.sleep(seconds)

        self.run_in_background(name, loop)

    def _namespaced_pattern(self, pattern: str | None) -> str | None:
        if pattern is None or not self.settings.namespace:
            return pattern
        return f"{self.settings.namespace}\\.{pattern}"

    async def health(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(3):
                async with self.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as error:
            checks["database"] = f"unavailable: {type(error).__name__}"
        kafka_ok = await self.broker.ping(timeout=3)
        checks["kafka"] = "ok" if kafka_ok else "unavailable"
        return checks

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        await self.broker.start()
        tasks = [asyncio.create_task(self.relay.run(), name="outbox-relay")]
        tasks += [asyncio.create_task(loop(), name=name) for name, loop in self.background.items()]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await _bounded("background tasks", asyncio.wait(tasks), SHUTDOWN_STEP_SECONDS)
            await _bounded("the broker", self.broker.stop(), SHUTDOWN_STEP_SECONDS)
            await _bounded("the database pool", self.engine.dispose(), SHUTDOWN_STEP_SECONDS)


SHUTDOWN_STEP_SECONDS = 20.0


async def _bounded(what: str, step: Awaitable[object], seconds: float) -> None:
    """A client library that never returns from its stop() must not keep the process (or a
    test) from ending: each shutdown step gets a deadline, and a step past it is abandoned
    with a warning."""
    try:
        async with asyncio.timeout(seconds):
            await step
    except TimeoutError:
        log.warning("stopping %s took over %.0fs; abandoned", what, seconds)


H = TypeVar("H")


@dataclass(frozen=True)
class Service(Generic[H]):
    """A service as its composition root (`build`) made it: the HTTP app, the runtime behind
    it (settings, engine, store factory, consumers, loops), its handlers and its clock.
    Tests, the console, the bench and chaos take the parts from here; routes reach the same
    object through `shared.dependencies`. A service with more parts subclasses it."""

    app: FastAPI
    runtime: Runtime
    handlers: H
    clock: Clock

    def __post_init__(self) -> None:
        # The one thing the app keeps: routes find every part through it.
        self.app.state.service = self

    @property
    def settings(self) -> ServiceSettings:
        return self.runtime.settings

    def running(self) -> contextlib.AbstractAsyncContextManager[None]:
        """The consumers, the relay and the loops running, as the app's lifespan runs them."""
        return self.runtime.running()


def create_app(
    runtime: Runtime,
    routers: Sequence[APIRouter],
    *,
    title: str,
    access: AccessTable | None = None,
    description: str = "",
) -> FastAPI:
    """The service's app: its routers, `/health` and `/metrics`, every route under the
    service's `access` table (shared.access): a route without a rule is refused, so an app
    built without a table answers only `/health`, `/metrics` and its documentation."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        announce(app, runtime.settings)
        async with runtime.running():
            yield

    app = FastAPI(title=title, description=description, lifespan=lifespan)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DataError, _unstorable_value)
    app.add_middleware(TextGuard)
    protect(app, access, runtime.settings)
    app.state.record_refusal = runtime.record_refusal

    @app.get(
        "/audit",
        tags=["operations"],
        summary="Who did what, when, from where (supervisors); or what became of one bank record",
        description=(
            "Oldest first: HTTP writes and refusals, dead letters, and a row per batch and "
            "partition of bank records (action `bank batch`). With `source` and `event_id`, "
            "or `topic`, `partition` and `offset`: what became of that one record (applied or "
            "dead-lettered, and the batch that covers its offset), from the inbox."
        ),
    )
    async def audit(
        actor: str | None = None,
        since: AwareDatetime | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
        source: str | None = None,
        event_id: str | None = None,
        topic: str | None = None,
        partition: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
        offset: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    ) -> list[dict[str, object]]:
        by_id = [v is not None for v in (source, event_id)]
        by_place = [v is not None for v in (topic, partition, offset)]
        asked = any(by_id) or any(by_place)
        one_way = (all(by_id) and not any(by_place)) or (all(by_place) and not any(by_id))
        if asked and not one_way:
            raise HTTPException(
                422, "ask about one record by source and event_id, or topic, partition and offset"
            )
        if runtime.audit is None:
            return []
        async with runtime.engine.connect() as connection:
            if asked:
                return await runtime.audit.about_record(
                    connection,
                    runtime.inbox.table,
                    source=source,
                    event_id=event_id,
                    topic=topic,
                    partition=partition,
                    offset=offset,
                )
            return await runtime.audit.query(connection, actor=actor, since=since, limit=limit)

    @app.get(
        "/campaigns",
        tags=["campaigns"],
        summary="The campaigns the platform knows: dates, region, counties, status today",
        response_model=list[CampaignOut],
    )
    async def campaigns(request: Request) -> list[CampaignOut]:
        book = runtime.campaigns()
        today = request.app.state.service.clock().date()
        return [CampaignOut.of(c, book.status(c, today)) for c in book.campaigns]

    @app.get("/health", tags=["operations"], summary="Database and Kafka reachable")
    async def health() -> JSONResponse:
        checks = await runtime.health()
        healthy = all(v == "ok" for v in checks.values())
        body = {"status": "ok" if healthy else "unavailable", "service": runtime.settings.service}
        return JSONResponse({**body, **checks}, status_code=200 if healthy else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    # Outermost of the app's own middleware: a request that lost the database is served
    # again whole, access checks and audit included.
    app.add_middleware(RetryTransient, patience=runtime.settings.unavailable_patience_seconds)
    return app


async def _unstorable_value(_: Request, error: Exception) -> JSONResponse:
    """A value the database cannot hold (a number out of its column's range, say) is the
    caller's mistake: 422, never 500."""
    reason = str(getattr(error, "orig", error)).splitlines()[0]
    return JSONResponse(
        {"detail": [{"field": "(request)", "message": f"a value cannot be stored: {reason}"}]},
        status_code=422,
    )


def _field_name(location: Sequence[object]) -> str:
    """`("body", "items", 0, "uscc")` -> `items.0.uscc`: only the leading part says where
    the input came from; a field may itself be called `body`."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie") and len(parts) > 1:
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "(body)"


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    """Every 4xx body names each wrong field: `{"detail": [{"field", "message"}]}`."""
    assert isinstance(error, RequestValidationError)
    problems = [
        {
            "field": _field_name(e["loc"]),
            "message": e["msg"],
        }
        for e in error.errors()
    ]
    return JSONResponse({"detail": problems}, status_code=422)


def serve(service: Service[Any]) -> None:
    """Run one service until SIGTERM/SIGINT; uvicorn drains requests, then the lifespan
    stops the consumers, the relay and the pool."""
    import uvicorn

    settings = service.settings
    configure_logging(settings.service, settings.log_level)
    uvicorn.run(
        service.app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        # The origin the audit records is the socket's; forwarding headers are read by the
        # access layer, and only from FIRSTLOAN_TRUSTED_PROXIES (shared.origin).
        proxy_headers=False,
        timeout_graceful_shutdown=15,
    )
