"""Assessment's composition root: the one place that wires settings, clock, storage,
handlers, consumers, the daily tick and the API."""

from __future__ import annotations

from dataclasses import dataclass

from assessment import api, consumers, dashboard, storage
from assessment.access import ACCESS
from assessment.commands import DeliverNotices, KeepUpToDate
from assessment.dashboard.feed import Broadcaster
from assessment.domain.notices import RetryPolicy
from assessment.handlers import Handlers, Postman
from assessment.senders import Senders
from assessment.settings import AssessmentSettings
from shared.clock import platform_clock
from shared.service import Runtime, Service, create_app
from shared.webhook_targets import TargetPolicy


@dataclass(frozen=True)
class AssessmentService(Service[Handlers]):
    feed: Broadcaster  # the dashboard's live feed of escalations and attainment


def build(settings: AssessmentSettings | None = None) -> AssessmentService:
    settings = settings or AssessmentSettings()
    runtime = Runtime.create(settings, storage.metadata, store=storage.SqlStore)
    now = platform_clock(settings, runtime.campaigns().zone)
    policy = RetryPolicy(
        first_seconds=settings.notice_retry_first_seconds,
        longest_seconds=settings.notice_retry_longest_seconds,
        give_up_seconds=settings.notice_give_up_hours * 3600,
    )
    targets = TargetPolicy.parse(settings.webhook_allow)
    handlers = Handlers(
        runtime.campaigns,
        now,
        Postman(Senders(settings, targets).send, policy, targets),
        settings.evaluate_each_batch,
    )
    consumers.subscribe(runtime, handlers)
    tick = KeepUpToDate(run_checkpoints=settings.run_checkpoints)

    async def keep_up_to_date() -> None:
        async with runtime.transaction() as uow:
            await handlers.keep_up_to_date(uow, tick)

    runtime.run_every("assessment-tick", settings.tick_seconds, keep_up_to_date)
    # A claimed notice is left to its round for longer than any attempt can take.
    lease = 2 * (settings.webhook_connect_timeout_seconds + settings.notice_timeout_seconds) + 30
    deliver = DeliverNotices(settings.notice_batch_size, lease_seconds=lease)

    async def deliver_notices() -> None:
        await handlers.deliver_notices(runtime.transaction, deliver)

    runtime.run_every("notice-delivery", settings.notice_poll_seconds, deliver_notices)
    app = create_app(
        runtime,
        [api.router],
        title="Firstloan assessment",
        description="Live attainment per county and institution, checkpoints, escalations, "
        "and notices of escalations to subscribers (webhooks, e-mail).",
        access=ACCESS,
    )
    feed = dashboard.mount(app, runtime)
    return AssessmentService(app, runtime, handlers, now, feed)
