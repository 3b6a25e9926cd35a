"""End to end over the real broker: an event written through roster's outbox reaches
assessment's inbox and takes effect exactly once, also when it is delivered twice and when
the relay is killed between publishing and marking the row sent."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

import assessment.app
import roster.app
from assessment.settings import AssessmentSettings
from assessment.storage.tables import listing_changes
from roster.settings import RosterSettings
from shared.access_testing import bearer_headers
from shared.envelope import new_event
from shared.outbox import OutgoingRecord
from shared.service import Runtime
from shared.testing import caught_up, eventually, read_topic
from shared.topics import DEAD_LETTER, ROSTER_EVENTS

pytestmark = pytest.mark.integration

USCC = "91110108551385082Q"


async def test_outbox_event_takes_effect_once_despite_crash_and_duplicate(
    namespace: str, kafka_producer: AIOKafkaProducer
) -> None:
    roster_app = roster.app.build(RosterSettings(namespace=namespace, outbox_poll_seconds=0.1))
    assessment_settings = AssessmentSettings(namespace=namespace, consumer_batch_timeout_ms=50)
    assessment_app = assessment.app.build(assessment_settings)
    roster_rt, assessment_rt = roster_app.runtime, assessment_app.runtime
    topic = roster_rt.settings.topic(ROSTER_EVENTS)

    event = new_event(
        "EnterpriseListed",
        "urn:firstloan:roster",
        {
            "uscc": USCC,
            "name": "忻州示例农产品有限公司",
            "county_code": "140902",
            "listed_on": "2020-09-03",
        },
        subject=USCC,
    )
    record = OutgoingRecord.event(topic, USCC, event)
    async with roster_rt.engine.begin() as connection:
        await roster_rt.outbox.add(connection, [record])

    crash = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("crash_relay.py")),
        namespace,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await crash.communicate()
    assert crash.returncode == -signal.SIGKILL, output.decode()
    assert await roster_rt.relay.pending() == 1, "the killed relay must not have marked it sent"
    assert len(await copies(topic, event.id)) == 1, "the killed relay had published it"

    group = assessment_settings.topic("assessment.roster")

    async def consumed() -> bool:
        return await caught_up(assessment_settings.kafka_bootstrap, group, [topic])

    # Each copy arrives on its own, after the one before was committed: separate batches,
    # so only the inbox (not the batch's own de-duplication) can stop a second effect.
    async with assessment_rt.running():
        await eventually(consumed, what="assessment to consume the crashed relay's copy")
        async with roster_rt.running():
            await eventually(lambda: no_pending(roster_rt), what="the relay to publish again")
        await eventually(consumed, what="assessment to consume the relay's second copy")
        await kafka_producer.send_and_wait(
            topic, record.value, key=record.key, headers=list(record.headers)
        )
        await eventually(consumed, what="assessment to consume the duplicate")
        assert len(await copies(topic, event.id)) == 3

        async with assessment_rt.engine.connect() as connection:
            listings = await connection.scalar(
                select(func.count())
                .select_from(listing_changes)
                .where(listing_changes.c.uscc == USCC)
            )
            inbox = assessment_rt.inbox.table
            claimed = await connection.scalar(
                select(func.count()).select_from(inbox).where(inbox.c.event_id == event.id)
            )
        assert (listings, claimed) == (1, 1)
        dead = await read_topic(
            assessment_settings.kafka_bootstrap, assessment_settings.topic(DEAD_LETTER)
        )
        assert [r for r in dead if dict(r.headers)["dlq_consumer"] == b"assessment.roster"] == []

        transport = httpx.ASGITransport(app=assessment_app.app)
        headers = bearer_headers(assessment_settings)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://assessment", headers=headers
        ) as http:
            health = (await http.get("/health")).json()
            assert health == {
                "status": "ok",
                "service": "assessment",
                "database": "ok",
                "kafka": "ok",
            }


async def no_pending(runtime: Runtime) -> bool:
    return await runtime.relay.pending() == 0


async def copies(topic: str, event_id: str) -> list[bytes]:
    records = await read_topic(RosterSettings().kafka_bootstrap, topic)
    return [r.value for r in records if r.value and event_id.encode() in r.value]
