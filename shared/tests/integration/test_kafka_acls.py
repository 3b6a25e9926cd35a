"""Only the right party can write, on the real broker: SASL/SCRAM principals under ACLs.

The module works in a namespace of its own (its writes reach no other test), whose ACLs
provisioning created exactly as `make up` creates the platform's (shared/kafka_security.py).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from typer.testing import CliRunner

import assessment.app
import ledger.app
import matchmaking.app
import roster.app
from assessment.settings import AssessmentSettings
from console.cli import app as cli
from ledger.settings import LedgerSettings
from matchmaking.settings import MatchmakingSettings
from roster.settings import RosterSettings
from shared.bus import client_options
from shared.campaigns import load_campaigns
from shared.kafka_security import (
    BANK_TOPICS,
    SERVICE_RIGHTS,
    bank_principal,
    subscriber_groups,
    subscriber_principal,
)
from shared.reference import PACKAGED_REFERENCE_FILE, load_reference
from shared.service import Service
from shared.settings import ServiceSettings
from shared.testing import EXAMPLE_CAMPAIGNS, campaigns_dir
from shared.topics import (
    ASSESSMENT_ATTAINMENT,
    ASSESSMENT_ESCALATIONS,
    DEAD_LETTER,
    LEDGER_EVENTS,
    ROSTER_EVENTS,
)

pytestmark = pytest.mark.integration
SUBSCRIBER = "acl-test-desk"


def as_principal(namespace: str, principal: str) -> ServiceSettings:
    return ServiceSettings(service="acltest", namespace=namespace, kafka_user=principal)


@pytest.fixture
async def producer_for() -> AsyncIterator[list[AIOKafkaProducer]]:
    started: list[AIOKafkaProducer] = []
    yield started
    for producer in started:
        await producer.stop()


async def send(
    settings: ServiceSettings, topic: str, started: list[AIOKafkaProducer], **extra: object
) -> None:
    producer = AIOKafkaProducer(**client_options(settings), request_timeout_ms=10_000, **extra)
    started.append(producer)
    await producer.start()
    await producer.send_and_wait(settings.topic(topic), b"{}", key=b"k")


async def first_record(
    settings: ServiceSettings, topic: str, group: str
) -> ConsumerRecord[bytes, bytes]:
    """The first record of `topic`, read in `group` (both logical names), its offset
    committed: what a subscriber's consumer does."""
    consumer = AIOKafkaConsumer(
        settings.topic(topic),
        **client_options(settings),
        group_id=settings.topic(group),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        request_timeout_ms=10_000,
    )
    try:
        await consumer.start()  # a refused topic or group is refused here
        async with asyncio.timeout(30):
            record = await consumer.getone()
            await consumer.commit()
        return record
    finally:
        await consumer.stop()


@pytest.mark.skipif(
    ServiceSettings(service="x").kafka_security == "none", reason="development mode: no ACLs"
)
class TestWithAcls:
    async def test_a_bank_writes_its_own_topic_and_no_other(
        self, private_namespace: str, producer_for: list[AIOKafkaProducer]
    ) -> None:
        boc = as_principal(private_namespace, bank_principal("boc"))
        await send(boc, "bank.boc.events", producer_for)
        with pytest.raises(TopicAuthorizationFailedError):
            await send(boc, "bank.ccb.events", producer_for)
        with pytest.raises(TopicAuthorizationFailedError):
            await send(boc, ROSTER_EVENTS, producer_for)

    async def test_a_service_cannot_write_a_topic_it_has_no_business_writing(
        self, private_namespace: str, producer_for: list[AIOKafkaProducer]
    ) -> None:
        roster_principal = as_principal(private_namespace, "roster")
        await send(roster_principal, DEAD_LETTER, producer_for)
        with pytest.raises(TopicAuthorizationFailedError):
            await send(roster_principal, LEDGER_EVENTS, producer_for)
        with pytest.raises(TopicAuthorizationFailedError):
            await send(roster_principal, "bank.boc.events", producer_for)  # forging a bank

    async def test_no_password_or_a_wrong_one_gets_nothing(
        self, private_namespace: str, producer_for: list[AIOKafkaProducer], tmp_path: Path
    ) -> None:
        anonymous = as_principal(private_namespace, "admin").model_copy(
            update={"kafka_security": "none"}
        )
        with pytest.raises((KafkaError, asyncio.TimeoutError)):
            async with asyncio.timeout(15):
                await send(anonymous, "bank.boc.events", producer_for)
        forged = tmp_path / "kafka"
        forged.mkdir()
        (forged / "admin.password").write_text("not the password\n")
        impostor = as_principal(private_namespace, "admin").model_copy(
            update={"secrets_dir": tmp_path}
        )
        with pytest.raises(KafkaError):
            await send(impostor, "bank.boc.events", producer_for)

    async def test_onboarding_a_bank_gives_it_its_topic_and_nothing_else(
        self, private_namespace: str, producer_for: list[AIOKafkaProducer], tmp_path: Path
    ) -> None:
        reference = tmp_path / "reference.toml"
        shutil.copy(PACKAGED_REFERENCE_FILE, reference)
        arguments = ["bank", "add", "hqcb", "--name", "河曲示例村镇银行"]
        arguments += ["--category", "village_bank", "--campaigns", str(reference)]
        arguments += ["--namespace", private_namespace]
        first = await asyncio.to_thread(CliRunner().invoke, cli, arguments)
        assert first.exit_code == 0, first.output
        assert "sasl.username=bank-hqcb" in first.output
        assert "hqcb" in load_reference(reference).institution_ids
        again = await asyncio.to_thread(CliRunner().invoke, cli, arguments)
        assert again.exit_code == 0, again.output
        assert "already onboarded" in again.output
        assert reference.read_text().count('id = "hqcb"') == 1

        hqcb = as_principal(private_namespace, bank_principal("hqcb"))
        await send(hqcb, "bank.hqcb.events", producer_for)
        with pytest.raises(TopicAuthorizationFailedError):
            await send(hqcb, "bank.boc.events", producer_for)

    async def test_adding_a_campaign_onboards_its_new_banks(
        self, private_namespace: str, producer_for: list[AIOKafkaProducer], tmp_path: Path
    ) -> None:
        folder = campaigns_dir(tmp_path / "campaigns")
        example = EXAMPLE_CAMPAIGNS / "yunzhou-2020.toml"
        arguments = ["campaign", "add", str(example), "--campaigns", str(folder)]
        arguments += ["--namespace", private_namespace]
        first = await asyncio.to_thread(CliRunner().invoke, cli, arguments)
        assert first.exit_code == 0, first.output
        assert "onboarded bank yzrcu" in first.output
        assert "onboarded bank icbc" not in first.output, "known from xinzhou-2020"
        assert load_campaigns(folder).ids == ("xinzhou-2020", "yunzhou-2020")
        again = await asyncio.to_thread(CliRunner().invoke, cli, arguments)
        assert again.exit_code == 0, again.output
        assert "already known" in again.output

        yzrcu = as_principal(private_namespace, bank_principal("yzrcu"))
        await send(yzrcu, "bank.yzrcu.events", producer_for)
        with pytest.raises(TopicAuthorizationFailedError):
            await send(yzrcu, "bank.xzrcu.events", producer_for)

    async def test_a_subscriber_reads_escalations_in_its_own_groups_and_nothing_else(
        self,
        private_namespace: str,
        kafka_producer: AIOKafkaProducer,
        producer_for: list[AIOKafkaProducer],
    ) -> None:
        arguments = ["subscriber", "add", SUBSCRIBER, "--namespace", private_namespace]
        first = await asyncio.to_thread(CliRunner().invoke, cli, arguments)
        assert first.exit_code == 0, first.output
        assert f"sasl.username={subscriber_principal(SUBSCRIBER)}" in first.output
        assert f"group.id={private_namespace}.subscriber.{SUBSCRIBER}." in first.output
        again = await asyncio.to_thread(CliRunner().invoke, cli, arguments)
        assert again.exit_code == 0, again.output
        assert "already a subscriber" in again.output

        desk = as_principal(private_namespace, subscriber_principal(SUBSCRIBER))
        for topic in (ASSESSMENT_ESCALATIONS, ASSESSMENT_ATTAINMENT):
            told = f"{topic} for the desk".encode()
            await kafka_producer.send_and_wait(desk.topic(topic), told, key=b"140902")
            record = await first_record(desk, topic, subscriber_groups(SUBSCRIBER) + "x")
            assert record.value == told

        with pytest.raises(TopicAuthorizationFailedError):
            await first_record(desk, ROSTER_EVENTS, subscriber_groups(SUBSCRIBER) + "x")
        with pytest.raises(TopicAuthorizationFailedError):
            await first_record(desk, "bank.boc.events", subscriber_groups(SUBSCRIBER) + "x")
        # Another subscriber's groups (the prefix ends with its dot) and a service's.
        for group in (f"subscriber.{SUBSCRIBER}2.x", "assessment.feed"):
            with pytest.raises(GroupAuthorizationFailedError):
                await first_record(desk, ASSESSMENT_ESCALATIONS, group)
        with pytest.raises(TopicAuthorizationFailedError):
            await send(desk, ASSESSMENT_ESCALATIONS, producer_for)

    async def test_a_conflicting_onboarding_is_refused_and_changes_nothing(
        self, tmp_path: Path
    ) -> None:
        reference = tmp_path / "reference.toml"
        shutil.copy(PACKAGED_REFERENCE_FILE, reference)
        before = reference.read_text()
        arguments = ["bank", "add", "boc", "--name", "另一家银行", "--category", "state_owned"]
        result = await asyncio.to_thread(
            CliRunner().invoke, cli, [*arguments, "--campaigns", str(reference)]
        )
        assert result.exit_code == 2
        assert "exists with other details" in result.output
        assert reference.read_text() == before


def test_each_service_reads_exactly_what_its_rights_allow() -> None:
    """The rights table and the services' subscriptions must not drift apart."""
    apps: dict[str, Service[Any]] = {
        "roster": roster.app.build(RosterSettings()),
        "matchmaking": matchmaking.app.build(MatchmakingSettings()),
        "ledger": ledger.app.build(LedgerSettings()),
        "assessment": assessment.app.build(AssessmentSettings()),
    }
    for service, app in apps.items():
        runtime = app.runtime
        topics = {t for s in runtime.consumers for t in s.topics}
        patterns = {s.pattern for s in runtime.consumers if s.pattern}
        rights = SERVICE_RIGHTS[service]
        assert topics <= set(rights.reads), service
        assert topics | {t for t in rights.reads if t.startswith(service)} == set(rights.reads)
        assert all(p.startswith(BANK_TOPICS.replace(".", r"\.")) for p in patterns), service
        assert rights.reads_bank_topics == bool(patterns), service
