"""Assessment over the real broker and database: facts in, attainment and escalations out."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from docx import Document
from openpyxl import load_workbook

from assessment.app import AssessmentService, build
from assessment.documents import XLSX
from assessment.settings import AssessmentSettings
from shared.access_testing import supervisor_headers
from shared.contracts.assessment import AttainmentUpdated, EscalationRaised
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.contracts.roster import EnterpriseAssigned, EnterpriseListed
from shared.contracts.types import Guarantee
from shared.envelope import parse_record
from shared.service import Runtime
from shared.testing import caught_up, eventually, publish_event, read_topic, sample_uscc
from shared.topics import (
    ASSESSMENT_ATTAINMENT,
    ASSESSMENT_ESCALATIONS,
    DEAD_LETTER,
    ROSTER_EVENTS,
)

pytestmark = pytest.mark.integration

XINFU = "140902"


@pytest.fixture
async def assessment(private_namespace: str) -> AsyncIterator[tuple[AssessmentService, Runtime]]:
    settings = AssessmentSettings(
        namespace=private_namespace,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        clock_date=date(2020, 11, 15),
        run_checkpoints=False,
        tick_seconds=0.5,
    )
    app = build(settings)
    runtime = app.runtime
    async with runtime.running():
        yield app, runtime


async def consumed(runtime: Runtime) -> bool:
    settings = runtime.settings
    groups = {
        settings.topic("assessment.roster"): [settings.topic(ROSTER_EVENTS)],
        settings.topic("assessment.bank"): [
            settings.topic("bank.icbc.events"),
            settings.topic("bank.ccb.events"),
        ],
    }
    for group, topics in groups.items():
        if not await caught_up(settings.kafka_bootstrap, group, topics):
            return False
    return await runtime.relay.pending() == 0


def loan(bank: str, loan_id: str, who: str, on: date, attested: bool = True) -> LoanIssued:
    return LoanIssued(
        loan_id=loan_id,
        institution_id=bank,
        uscc=who,
        enterprise_name="示例企业",
        amount_wan=Decimal("50.00"),
        issued_on=on,
        first_loan_attested=attested,
        guarantee=Guarantee.CREDIT,
    )


async def test_facts_in_attainment_and_escalations_out(
    assessment: tuple[AssessmentService, Runtime], kafka_producer: AIOKafkaProducer
) -> None:
    app, runtime = assessment
    topic = runtime.settings.topic
    first, cheats = sample_uscc(1), [sample_uscc(n) for n in range(2, 5)]
    for who in [first, *cheats]:
        await publish_event(
            kafka_producer,
            topic(ROSTER_EVENTS),
            EnterpriseListed(
                uscc=who, name="示例企业", county_code=XINFU, listed_on=date(2020, 9, 5)
            ),
            source="urn:firstloan:roster",
            key=who,
        )
        await publish_event(
            kafka_producer,
            topic(ROSTER_EVENTS),
            EnterpriseAssigned(
                uscc=who,
                institution_id="icbc",
                county_code=XINFU,
                assigned_on=date(2020, 9, 6),
                way="explicit",
            ),
            source="urn:firstloan:roster",
            key=who,
        )
    icbc = "urn:firstloan:institution:icbc"
    await publish_event(
        kafka_producer,
        topic("bank.icbc.events"),
        loan("icbc", "L-1", first, date(2020, 10, 8)),
        source=icbc,
        key=first,
    )
    # Three claims that another bank's earlier loans contradict: falsification.
    for n, who in enumerate(cheats):
        await publish_event(
            kafka_producer,
            topic("bank.ccb.events"),
            loan("ccb", f"OLD-{n}", who, date(2019, 5, 1), attested=False),
            source="urn:firstloan:institution:ccb",
            key=who,
        )
        await publish_event(
            kafka_producer,
            topic("bank.icbc.events"),
            loan("icbc", f"C-{n}", who, date(2020, 10, 20)),
            source=icbc,
            key=who,
        )
    await eventually(lambda: consumed(runtime), what="assessment to take every event")

    async with httpx.AsyncClient(
        headers=supervisor_headers(),
        transport=httpx.ASGITransport(app=app.app),
        base_url="http://assessment",
    ) as http:
        body = (await http.get("/attainment", params={"level": "county"})).json()
        assert body["as_of"] == "2020-11-15"
        assert body["citywide"]["cultivated"] == 4
        assert body["citywide"]["first_loans"] == 1
        xinfu = next(u for u in body["units"] if u["unit_id"] == XINFU)
        assert (xinfu["cultivated"], xinfu["first_loans"], xinfu["first_loan_rate"]) == (4, 1, 0.25)
        assert xinfu["targets"] == {"cultivated": 600, "first_loans": 400}
        # Before the first loan's date it did not count; the past is recounted from facts.
        before = (await http.get("/attainment", params={"as_of": "2020-10-07"})).json()
        assert next(u for u in before["units"] if u["unit_id"] == XINFU)["first_loans"] == 0
        institutions = (await http.get("/attainment", params={"level": "institution"})).json()
        icbc_unit = next(u for u in institutions["units"] if u["unit_id"] == "icbc")
        assert (icbc_unit["cultivated"], icbc_unit["first_loans"]) == (4, 1)
        anomalies = (await http.get("/anomalies")).json()
        assert sorted(a["claim"]["loan_id"] for a in anomalies) == ["C-0", "C-1", "C-2"]
        bad = await http.get("/attainment", params={"level": "province"})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["field"].endswith("level")

        escalations = await escalations_on_topic(runtime)
        falsification = [e for e in escalations if e.reason.value == "data_falsification"]
        assert [(e.unit_id, e.severity.value) for e in falsification] == [("icbc", "circular")]
        assert len(falsification[0].evidence) == 3
        # Day 76 of the campaign, 1 first loan against ~249 expected: a live warning.
        warned = {e.unit_id for e in escalations if e.reason.value == "under_target"}
        assert XINFU in warned

        updates = await attainment_on_topic(runtime)
        assert updates[XINFU].first_loans == 1

        # A checkpoint: talks and circulars; running it again changes nothing.
        first_run = (await http.post("/assessments", json={"as_of": "2020-09-30"})).json()
        assert {e["unit_id"] for e in first_run["escalations"]} >= {XINFU, "icbc"}
        assert {e["severity"] for e in first_run["escalations"]} == {"circular"}
        again = (await http.post("/assessments", json={"as_of": "2020-09-30"})).json()
        assert again["escalations"] == []
        ranking = (await http.get("/checkpoints/2020-09-30/ranking")).json()
        assert len(ranking["counties"]) == 14
        sheet = await http.get("/checkpoints/2020-09-30/ranking", headers={"accept": XLSX})
        assert sheet.headers["content-type"] == XLSX
        workbook = load_workbook(io.BytesIO(sheet.content))
        assert workbook["县域排名"].max_row == 2 + 14
        circular = await http.get("/checkpoints/2020-09-30/circular.docx")
        assert circular.status_code == 200
        text = "\n".join(p.text for p in Document(io.BytesIO(circular.content)).paragraphs)
        assert "忻府区" in text
        assert "通报" in text
        assert "中国人民银行忻州市中心支行" in text
        missing = await http.get("/checkpoints/2020-10-01/ranking")
        assert missing.status_code == 404
        for outside in ("9999-12-31", "2019-06-30", "2020-08-31", "2021-01-01"):
            refused = await http.post("/assessments", json={"as_of": outside})
            assert refused.status_code == 422, refused.text
            [problem] = refused.json()["detail"]
            assert problem["field"] == "as_of"
            assert "2020-09-01 to 2020-12-31" in problem["message"]
            assert (await http.get(f"/checkpoints/{outside}/ranking")).status_code == 404
        audited = (await http.get("/audit")).json()
        runs = [a["outcome"] for a in audited if a["action"] == "POST /assessments"]
        assert runs == ["committed", "committed", "422", "422", "422", "422"]

        # Reversing the only first loan re-evaluates the enterprise.
        await publish_event(
            kafka_producer,
            topic("bank.icbc.events"),
            LoanReversed(
                loan_id="L-1",
                institution_id="icbc",
                reversed_on=date(2020, 11, 1),
                reason="错账",
            ),
            source=icbc,
            key=first,
        )
        await eventually(lambda: consumed(runtime), what="the reversal to be taken")
        after = (await http.get("/attainment")).json()
        assert after["citywide"]["first_loans"] == 0


async def escalations_on_topic(runtime: Runtime) -> list[EscalationRaised]:
    records = await read_topic(
        runtime.settings.kafka_bootstrap, runtime.settings.topic(ASSESSMENT_ESCALATIONS)
    )
    events = [parse_record(r.value, r.headers) for r in records]
    return [
        EscalationRaised.model_validate(e.data)
        for e in events
        if not hasattr(e, "reason") and e.type.endswith("EscalationRaised")
    ]


async def attainment_on_topic(runtime: Runtime) -> dict[str, AttainmentUpdated]:
    records = await read_topic(
        runtime.settings.kafka_bootstrap, runtime.settings.topic(ASSESSMENT_ATTAINMENT)
    )
    latest: dict[str, AttainmentUpdated] = {}
    for record in records:
        event = parse_record(record.value, record.headers)
        if not hasattr(event, "reason"):
            update = AttainmentUpdated.model_validate(event.data)
            latest[update.unit_id] = update
    return latest


async def test_rebuild_from_the_topics_equals_the_live_figures(
    assessment: tuple[AssessmentService, Runtime], kafka_producer: AIOKafkaProducer
) -> None:
    from assessment.rebuild import rebuild

    _, runtime = assessment
    topic = runtime.settings.topic
    who = sample_uscc(99)
    await publish_event(
        kafka_producer,
        topic(ROSTER_EVENTS),
        EnterpriseListed(
            uscc=who, name="重建测试企业", county_code="140981", listed_on=date(2020, 9, 20)
        ),
        source="urn:firstloan:roster",
        key=who,
    )
    await publish_event(
        kafka_producer,
        topic("bank.icbc.events"),
        loan("icbc", "R-1", who, date(2020, 10, 2)),
        source="urn:firstloan:institution:icbc",
        key=who,
    )
    await eventually(lambda: consumed(runtime), what="assessment to take every event")
    seen: list[int] = []
    settings = runtime.settings
    assert isinstance(settings, AssessmentSettings)
    result = await rebuild(settings, lambda name, done, size: seen.append(done))
    assert result.records > 0
    assert seen
    assert result.rebuilt.first_loans >= 1
    assert result.equal, (result.rebuilt, result.live)


async def listed_and_lent(
    producer: AIOKafkaProducer, runtime: Runtime, who: str, issued: LoanIssued, **publish: str
) -> None:
    topic = runtime.settings.topic
    await publish_event(
        producer,
        topic(ROSTER_EVENTS),
        EnterpriseListed(uscc=who, name="示例企业", county_code=XINFU, listed_on=date(2020, 9, 5)),
        source="urn:firstloan:roster",
        key=who,
    )
    bank = issued.institution_id
    await publish_event(
        producer,
        topic(f"bank.{bank}.events"),
        issued,
        source=f"urn:firstloan:institution:{bank}",
        key=who,
        **publish,
    )


async def test_service_figures_and_anomalies_keep_the_loans_details(
    assessment: tuple[AssessmentService, Runtime], kafka_producer: AIOKafkaProducer
) -> None:
    """Application date, guarantee and rate travel from the bank's event through the stored
    outcomes to the service figures and the anomalies' evidence."""
    app, runtime = assessment
    who, cheat = sample_uscc(71, tag="HW"), sample_uscc(72, tag="HW")
    detailed = loan("ccb", "SV-1", who, date(2020, 10, 12)).model_copy(
        update={
            "applied_on": date(2020, 9, 28),
            "guarantee": Guarantee.COLLATERAL,
            "annual_rate_pct": 4.35,
        }
    )
    await listed_and_lent(kafka_producer, runtime, who, detailed)
    earlier = detailed.model_copy(update={"loan_id": "SV-0", "uscc": cheat})
    claim = earlier.model_copy(update={"loan_id": "SV-2", "issued_on": date(2020, 10, 20)})
    await listed_and_lent(
        kafka_producer,
        runtime,
        cheat,
        earlier.model_copy(update={"issued_on": date(2019, 3, 1), "first_loan_attested": False}),
    )
    await listed_and_lent(kafka_producer, runtime, cheat, claim)

    async with httpx.AsyncClient(
        headers=supervisor_headers(),
        transport=httpx.ASGITransport(app=app.app),
        base_url="http://assessment",
    ) as http:

        async def claim_seen() -> bool:
            anomalies = (await http.get("/anomalies")).json()
            return any(a["claim"]["loan_id"] == "SV-2" for a in anomalies)

        await eventually(claim_seen, what="the contradicted claim")
        service = (await http.get("/institutions/service")).json()
        ccb = next(f for f in service if f["institution_id"] == "ccb")
        assert ccb["first_loans"] == 1
        assert ccb["with_application_date"] == 1
        assert ccb["within_goal"] == 1
        assert ccb["average_rate_pct"] == 4.35
        assert ccb["guarantee_mix"] == {"collateral": 1}
        anomaly = next(
            a for a in (await http.get("/anomalies")).json() if a["claim"]["loan_id"] == "SV-2"
        )
        assert anomaly["claim"]["applied_on"] == "2020-09-28"
        assert anomaly["claim"]["guarantee"] == "collateral"
        assert anomaly["claim"]["annual_rate_pct"] == 4.35
        assert anomaly["evidence"][0]["issued_on"] == "2019-03-01"
        assert anomaly["evidence"][0]["guarantee"] == "collateral"


async def test_a_reused_event_id_with_other_content_is_a_data_quality_finding(
    assessment: tuple[AssessmentService, Runtime], kafka_producer: AIOKafkaProducer
) -> None:
    """A bank reuses an event id for another loan (keyed to another enterprise): the copy
    recorded first counts, the other is dead-lettered and counted against the bank."""
    app, runtime = assessment
    settings = runtime.settings
    dead_before = len(await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER)))
    first, second = sample_uscc(81, tag="DQ"), sample_uscc(82, tag="DQ")
    await listed_and_lent(
        kafka_producer,
        runtime,
        first,
        loan("abc", "DQ-1", first, date(2020, 10, 9)),
        event_id="abc-reused-1",
    )

    async with httpx.AsyncClient(
        headers=supervisor_headers(),
        transport=httpx.ASGITransport(app=app.app),
        base_url="http://assessment",
    ) as http:

        async def abc_first_loans() -> int:
            body = (await http.get("/attainment", params={"level": "institution"})).json()
            return int(next(u for u in body["units"] if u["unit_id"] == "abc")["first_loans"])

        await eventually(lambda: _equals(abc_first_loans, 1), what="the first copy counted")
        await listed_and_lent(
            kafka_producer,
            runtime,
            second,
            loan("abc", "DQ-2", second, date(2020, 10, 10)),
            event_id="abc-reused-1",
        )

        async def abc_quality() -> dict[str, int]:
            found = (await http.get("/institutions/data-quality")).json()
            quality: dict[str, int] = next(
                q["data_quality"] for q in found if q["institution_id"] == "abc"
            )
            return quality

        await eventually(
            lambda: _equals(abc_quality, {"conflicting_duplicates": 1, "conflicting_loans": 0}),
            what="the conflicting duplicate counted",
        )
        dead = (await read_topic(settings.kafka_bootstrap, settings.topic(DEAD_LETTER)))[
            dead_before:
        ]
        reasons = [dict(r.headers)["dlq_reason"] for r in dead if second.encode() in r.value]
        assert reasons == [b"conflicting_duplicate"]
        assert await abc_first_loans() == 1
        detail = (await http.get("/dashboard/units/abc")).json()
        assert detail["data_quality"] == {"conflicting_duplicates": 1, "conflicting_loans": 0}


async def _equals(read: Callable[[], Awaitable[object]], expected: object) -> bool:
    return await read() == expected
