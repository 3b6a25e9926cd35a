"""Notices of escalations over the real broker and database, to a real HTTP receiver (a
group robot on loopback, console.demo.receiver) and a real SMTP server (aiosmtpd): subscribed,
escalated through the API, delivered once; a receiver that was down gets it once it is up;
muted notices are recorded, never sent; two replicas never send one notice twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from assessment.app import AssessmentService, build
from assessment.commands import DeliverNotices
from assessment.settings import AssessmentSettings
from assessment.storage.deliveries import SqlDeliveryRepository
from console.demo.receiver import GroupRobot, free_port
from shared.access_testing import bearer_headers
from shared.contracts.ledger import LedgerOverdue
from shared.testing import eventually, provisioned_namespace, publish_event
from shared.topics import LEDGER_EVENTS

pytestmark = pytest.mark.integration

XINFU, DINGXIANG = "140902", "140921"
CHECKPOINT = "2020-09-30"


class Mailbox:
    """aiosmtpd's handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture(scope="module")
def mailbox() -> Any:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def settings_for(namespace: str, smtp_port: int) -> AssessmentSettings:
    return AssessmentSettings(
        namespace=namespace,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        # Day 15 of the campaign: no live warnings yet, so only what a test causes moves.
        clock_date=date(2020, 9, 15),
        run_checkpoints=False,
        notice_poll_seconds=0.2,
        notice_retry_first_seconds=0.2,
        notice_retry_longest_seconds=0.5,
        smtp_port=smtp_port,
        webhook_allow="127.0.0.1",
    )


@pytest.fixture(scope="module")
async def assessment(private_namespace: str, mailbox: Any) -> AsyncIterator[AssessmentService]:
    app = build(settings_for(private_namespace, mailbox[1]))
    runtime = app.runtime
    async with runtime.running():
        yield app


def client(app: AssessmentService, scope: str = "central") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        headers=bearer_headers(app.runtime.settings, scope),
        transport=httpx.ASGITransport(app=app.app),
        base_url="http://assessment",
    )


async def subscribe(http: httpx.AsyncClient, **body: Any) -> str:
    answer = await http.post("/subscriptions", json=body)
    assert answer.status_code == 201, answer.text
    subscription_id: str = answer.json()["subscription_id"]
    return subscription_id


async def deliveries_of(
    http: httpx.AsyncClient, subscription_id: str, status: str | None = None
) -> list[dict[str, Any]]:
    asked = {"subscription_id": subscription_id} | ({"status": status} if status else {})
    answer = await http.get("/deliveries", params=asked)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


async def test_a_checkpoint_reaches_each_subscriber_once_by_webhook_and_by_mail(
    assessment: AssessmentService, mailbox: Any
) -> None:
    box, _ = mailbox
    robot = GroupRobot()
    async with client(assessment) as http, client(assessment, f"county:{XINFU}") as county:
        every_unit = await subscribe(
            http, channel="webhook", target=robot.url("/all"), min_severity="talk"
        )
        # Under target only: from the campaign's 15th day the forecast may warn of a shortfall.
        by_mail = await subscribe(
            http,
            channel="email",
            target="wang@example.org",
            unit_id=XINFU,
            reason="under_target",
        )
        muted = await subscribe(
            http,
            channel="webhook",
            target=robot.url("/dx"),
            unit_id=DINGXIANG,
            reason="under_target",
        )
        ends = (datetime.now(UTC) + timedelta(days=3650)).isoformat()
        silenced = await http.post(
            "/silences", json={"unit_id": DINGXIANG, "ends_at": ends, "why": "整改期内"}
        )
        assert silenced.status_code == 201, silenced.text
        own = await subscribe(
            county,
            channel="webhook",
            target=robot.url("/xinfu"),
            unit_id=XINFU,
            webhook_format="dingtalk",
            reason="under_target",
        )
        for other in ({"unit_id": DINGXIANG}, {}):
            refused = await county.post(
                "/subscriptions", json={"channel": "email", "target": "a@example.org", **other}
            )
            assert refused.status_code == 403, refused.text
            assert refused.json()["detail"][0]["field"] == "unit_id"
        assert (await county.get("/subscriptions")).status_code == 403
        others = await county.get("/deliveries", params={"county_code": DINGXIANG})
        assert others.status_code == 403

        # The receiver is down when the checkpoint escalates.
        run = await http.post("/assessments", json={"as_of": CHECKPOINT})
        escalated = {e["unit_id"] for e in run.json()["escalations"]}
        assert {XINFU, DINGXIANG, "icbc"} <= escalated

        async def tried_and_failed() -> bool:
            [delivery] = await deliveries_of(http, every_unit, "pending")
            attempts: int = delivery["attempts"]
            return attempts >= 2

        await eventually(tried_and_failed, what="attempts against a receiver that is down")
        [waiting] = await deliveries_of(http, every_unit, "pending")
        assert "ConnectError" in waiting["last_error"]
        assert robot.bodies == []

        async def mailed() -> bool:
            return len(box.messages) >= 1

        await eventually(mailed, what="the e-mail notice")
        [mail] = box.messages
        assert mail["To"] == "wang@example.org"
        [mail_id] = [d["delivery_id"] for d in await deliveries_of(http, by_mail)]
        assert mail["Message-ID"] == f"<{mail_id}@firstloan>"
        assert mail["X-Firstloan-Notice-Id"] == mail_id
        assert "首贷培植行动督办" in str(mail["Subject"])
        text = mail.get_content()
        assert "忻府区 (140902)" in text
        assert "通报 circular" in text

        async with robot.up():

            async def delivered() -> bool:
                found = await deliveries_of(http, every_unit) + await deliveries_of(http, own)
                return sorted(d["status"] for d in found) == ["muted", "sent", "sent"]

            await eventually(delivered, what="the notices once the receiver is up")
            # More rounds of the loop, then look again: nothing is sent twice.
            await asyncio.sleep(1.0)

        [notice] = robot.posted_to("/all")
        assert notice["msgtype"] == "markdown"
        [sent_all] = await deliveries_of(http, every_unit, "sent")
        assert robot.notice_ids_at("/all") == [notice["notice_id"]] == [sent_all["delivery_id"]]
        content = notice["markdown"]["content"]
        # One notice for every unit escalated but the one a supervisor muted for everyone.
        assert content.count("\n- **") == len(escalated) - 1
        assert DINGXIANG not in content
        [muted_for_all] = await deliveries_of(http, every_unit, "muted")
        assert [s["unit_id"] for s in muted_for_all["steps"]] == [DINGXIANG]
        [dingtalk] = robot.posted_to("/xinfu")
        assert set(dingtalk["markdown"]) == {"title", "text"}
        assert XINFU in dingtalk["markdown"]["text"]
        assert DINGXIANG not in dingtalk["markdown"]["text"]
        assert robot.posted_to("/dx") == []
        [was_muted] = await deliveries_of(http, muted)
        assert was_muted["status"] == "muted"
        assert [s["unit_id"] for s in was_muted["steps"]] == [DINGXIANG]
        assert len(box.messages) == 1
        [mail_delivery] = await deliveries_of(http, by_mail)
        assert (mail_delivery["status"], mail_delivery["attempts"]) == ("sent", 1)

        # The county sees its own subscription and deliveries only.
        mine = await county.get("/deliveries", params={"county_code": XINFU})
        assert {d["subscription_id"] for d in mine.json()} == {own}
        listed = await county.get("/subscriptions", params={"county_code": XINFU})
        assert [s["subscription_id"] for s in listed.json()] == [own]

        audit = (await http.get("/audit", params={"actor": "test:client"})).json()
        actions = {a["action"] for a in audit if a["outcome"] == "committed"}
        assert {"POST /subscriptions", "POST /silences"} <= actions

        # Ending a subscription: once; a county cannot end a supervisor's.
        ended = await http.delete(f"/subscriptions/{muted}")
        assert ended.status_code == 204
        assert (await http.delete(f"/subscriptions/{muted}")).status_code == 404
        missed = await county.delete(f"/subscriptions/{every_unit}?county_code={XINFU}")
        assert missed.status_code == 404
        active = {
            s["subscription_id"]
            for s in (await http.get("/subscriptions")).json()
            if s["ended_at"] is None
        }
        assert every_unit in active
        audit = (await http.get("/audit", params={"actor": "test:client"})).json()
        endings = [
            (a["target"].rsplit("/", 1)[-1], a["outcome"])
            for a in audit
            if a["action"] == "DELETE /subscriptions/{subscription_id}"
        ]
        assert endings == [(muted, "committed"), (muted, "404"), (every_unit, "404")]


async def test_a_robot_that_answers_an_error_code_has_not_taken_the_notice(
    assessment: AssessmentService, kafka_producer: AIOKafkaProducer
) -> None:
    robot = GroupRobot(errcode=45009)
    async with client(assessment) as http, robot.up():
        refused = await subscribe(http, channel="webhook", target=robot.url("/busy"), unit_id="ccb")
        await overdue_ledger(assessment, kafka_producer, "ccb")

        async def retried() -> bool:
            found = await deliveries_of(http, refused)
            return bool(found) and found[0]["attempts"] >= 2

        await eventually(retried, what="a refused notice tried again")
        [delivery] = await deliveries_of(http, refused)
        assert delivery["status"] == "pending"
        assert delivery["last_error"] == "NotDeliveredError: errcode 45009: refused"
        assert len(robot.posted_to("/busy")) >= 2


async def overdue_ledger(app: AssessmentService, producer: AIOKafkaProducer, unit_id: str) -> None:
    """A ledger overdue: a live escalation (a warning) of `unit_id`, consumed."""
    settings = app.runtime.settings
    await publish_event(
        producer,
        settings.topic(LEDGER_EVENTS),
        LedgerOverdue(
            unit_id=unit_id, period="2020-09", due_at=datetime(2020, 10, 10, 16, tzinfo=UTC)
        ),
        source="urn:firstloan:ledger",
        key=unit_id,
    )
    async with client(app) as http:

        async def escalated() -> bool:
            found = (await http.get("/escalations")).json()
            return any(e["reason"] == "ledger_overdue" and e["unit_id"] == unit_id for e in found)

        await eventually(escalated, what=f"the ledger escalation of {unit_id}")


INSIDE_TARGETS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:55432/",
    "https://2130706433:8101/nominations",
    "https://[::ffff:127.0.0.1]:8101/nominations",
    "https://10.0.0.1/robot",
    "http://93.184.215.14/robot",  # public, but not https
]


@pytest.mark.parametrize("target", INSIDE_TARGETS)
async def test_a_webhook_inside_the_platform_network_is_refused_at_subscription(
    assessment: AssessmentService, target: str
) -> None:
    namespace = assessment.runtime.settings.namespace
    strict = build(settings_for(namespace, 25).model_copy(update={"webhook_allow": ""}))
    async with client(strict) as http, client(strict, f"county:{XINFU}") as county:
        for caller in (http, county):
            answer = await caller.post(
                "/subscriptions", json={"channel": "webhook", "target": target, "unit_id": XINFU}
            )
            assert answer.status_code == 422, answer.text
            [problem] = answer.json()["detail"]
            assert problem["field"] == "target"
        listed = (await http.get("/subscriptions")).json()
        assert target not in {s["target"] for s in listed}


@pytest.fixture(scope="module")
async def quiet_assessment(mailbox: Any) -> AsyncIterator[AssessmentService]:
    """Assessment in a namespace of its own whose delivery loop runs once at its start: the
    tests send the rounds themselves."""
    async with provisioned_namespace() as namespace:
        settings = settings_for(namespace, mailbox[1])
        app = build(settings.model_copy(update={"notice_poll_seconds": 3600.0}))
        runtime = app.runtime
        async with runtime.running():
            yield app


async def test_each_send_checks_the_target_again(
    quiet_assessment: AssessmentService, kafka_producer: AIOKafkaProducer
) -> None:
    """A target that was allowed when subscribed, and is not when a notice is due (the
    operator's allow list, or the name's address, changed), is not called."""
    robot = GroupRobot()
    namespace = quiet_assessment.runtime.settings.namespace
    strict = build(settings_for(namespace, 25).model_copy(update={"webhook_allow": ""}))
    async with client(quiet_assessment) as http, robot.up():
        subscription = await subscribe(
            http,
            channel="webhook",
            target=robot.url("/was-allowed"),
            unit_id="boc",
            reason="ledger_overdue",
        )
        await overdue_ledger(quiet_assessment, kafka_producer, "boc")

        async def recorded() -> bool:
            return bool(await deliveries_of(http, subscription))

        await eventually(recorded, what="the notice of the overdue ledger")
        assert await round_on(strict) == 0
        [refused] = await deliveries_of(http, subscription)
        assert (refused["status"], refused["attempts"]) == ("pending", 1)
        assert "target refused: 127.0.0.1 is loopback" in refused["last_error"]
        assert robot.bodies == []


async def test_a_notice_sent_again_after_a_crash_carries_the_same_id(
    quiet_assessment: AssessmentService,
    kafka_producer: AIOKafkaProducer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each notice's outcome commits alone, right after its receiver answered: a crash in
    one outcome's commit leaves the other notices of the round sent, and the notice whose
    outcome was lost goes again, with the id its first attempt carried."""
    robot = GroupRobot()
    handlers = quiet_assessment.handlers
    runtime = quiet_assessment.runtime
    assert handlers.postman is not None
    async with client(quiet_assessment) as http, robot.up():
        kept, lost = [
            await subscribe(
                http,
                channel="webhook",
                target=robot.url(path),
                unit_id="abc",
                reason="ledger_overdue",
            )
            for path in ("/kept", "/lost")
        ]
        await overdue_ledger(quiet_assessment, kafka_producer, "abc")

        async def recorded() -> bool:
            return bool(await deliveries_of(http, kept)) and bool(await deliveries_of(http, lost))

        await eventually(recorded, what="both notices recorded")
        [lost_id] = [d["delivery_id"] for d in await deliveries_of(http, lost)]
        really_sent = SqlDeliveryRepository.sent

        async def dies_before_committing(
            repository: SqlDeliveryRepository, delivery_id: str
        ) -> None:
            if delivery_id == lost_id:
                raise ConnectionResetError("the process died before this commit")
            await really_sent(repository, delivery_id)

        monkeypatch.setattr(SqlDeliveryRepository, "sent", dies_before_committing)
        with pytest.raises(ConnectionResetError):
            await handlers.deliver_notices(runtime.transaction, DeliverNotices(10, lease_seconds=0))
        monkeypatch.undo()

        async def kept_sent() -> bool:
            [delivery] = await deliveries_of(http, kept)
            return bool(delivery["status"] == "sent")

        await eventually(kept_sent, what="the other notice of the round recorded as sent")
        [lost_delivery] = await deliveries_of(http, lost)
        assert (lost_delivery["status"], lost_delivery["attempts"]) == ("pending", 0)
        assert await round_on(quiet_assessment) == 1
        assert robot.notice_ids_at("/lost") == [lost_id, lost_id]
        assert [b["notice_id"] for b in robot.posted_to("/lost")] == [lost_id, lost_id]
        assert len(robot.posted_to("/kept")) == 1
        [sent] = await deliveries_of(http, lost)
        assert (sent["status"], sent["attempts"]) == ("sent", 1)


async def round_on(service: AssessmentService) -> int:
    return await service.handlers.deliver_notices(service.runtime.transaction, DeliverNotices(50))


async def test_two_replicas_never_send_one_notice_twice(
    assessment: AssessmentService, mailbox: Any, kafka_producer: AIOKafkaProducer
) -> None:
    robot = GroupRobot(delay=0.3)  # answers slowly: rounds overlap while one is sending
    replica = build(settings_for(assessment.runtime.settings.namespace, mailbox[1]))
    async with client(assessment) as http, robot.up(), replica.running():
        paths = [f"/r{n}" for n in range(6)]
        for path in paths:
            await subscribe(
                http,
                channel="webhook",
                target=robot.url(path),
                unit_id="icbc",
                reason="ledger_overdue",
            )
        await overdue_ledger(assessment, kafka_producer, "icbc")
        # Both replicas' loops run, and two more rounds at once on top of them.
        await asyncio.gather(round_on(assessment), round_on(replica))

        async def all_told() -> bool:
            return all(robot.posted_to(path) for path in paths)

        await eventually(all_told, what="every subscription told")
        await asyncio.sleep(1.0)
        assert sorted(path for path, _ in robot.bodies) == sorted(paths)
