"""Several campaigns over the real broker and database: Xinzhou's of 2020 and Yunzhou's of
2020 at once (two cities), then Xinzhou's of 2021 after its first (one city, a year later).

Roster events name their campaign, or (written before campaigns had ids) name none and are
attributed by their county and date; bank events are facts of no campaign. Each city's
figures are what the pure rules give for its campaign alone; an enterprise lent to first in
2020 is refused in 2021 (its claim is an anomaly of 2021); the province's totals are the sum
of the cities; a county's token sees nothing of the other city; a rebuild from the topics
gives every campaign's figures again.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from assessment.app import AssessmentService, build
from assessment.domain.attainment import Attainment, attainment
from assessment.domain.campaigns import lens
from assessment.domain.facts import Assignment, ListingChange, Loan
from assessment.domain.first_loan import campaign_window, evaluate
from assessment.domain.history import Fact, facts_by_enterprise
from assessment.settings import AssessmentSettings
from assessment.storage import SqlStore
from shared.access_testing import bearer_headers
from shared.bus import create_topics
from shared.contracts.assessment import AttainmentUpdated
from shared.contracts.bank import LoanIssued
from shared.contracts.ledger import LedgerOverdue
from shared.contracts.roster import EnterpriseAssigned, EnterpriseListed
from shared.contracts.types import Guarantee
from shared.envelope import parse_record
from shared.reference import ReferenceData, load_reference
from shared.service import Runtime
from shared.testing import (
    EXAMPLE_CAMPAIGNS,
    campaigns_dir,
    caught_up,
    eventually,
    publish_event,
    read_topic,
    sample_uscc,
)
from shared.topics import ASSESSMENT_ATTAINMENT, LEDGER_EVENTS, ROSTER_EVENTS, TopicSpec

pytestmark = pytest.mark.integration

ZONE = ZoneInfo("Asia/Shanghai")
XINZHOU_2020 = load_reference()
XINZHOU_2021 = load_reference(EXAMPLE_CAMPAIGNS / "xinzhou-2021.toml")
YUNZHOU_2020 = load_reference(EXAMPLE_CAMPAIGNS / "yunzhou-2020.toml")
CAMPAIGNS = {c.campaign.id: c for c in (XINZHOU_2020, XINZHOU_2021, YUNZHOU_2020)}
BANKS = ("icbc", "ccb", "xzrcu", "yzrcu")
BOTH_CITIES = date(2020, 11, 15)  # Xinzhou's 2020 campaign and Yunzhou's both run
A_YEAR_LATER = date(2021, 11, 15)  # Xinzhou's 2021 campaign runs, Yunzhou's has ended
XINFU, YUANPING, DINGXIANG = "140902", "140981", "140921"
YUNZHONG, BEILING = "149902", "149921"


def uscc(n: int, county: str) -> str:
    return sample_uscc(n, county=county, tag="MC")


@dataclass
class Scenario:
    """What the test publishes, and the same as the domain's facts (listings and
    assignments of the campaign they are counted in)."""

    facts: list[Fact] = field(default_factory=list)
    events: list[tuple[str, Any, str]] = field(default_factory=list)  # (topic, data, key)

    def listed(
        self, who: str, county: str, on: date, campaign_id: str, *, named: bool = True
    ) -> None:
        self.facts.append(ListingChange(who, on, True, county, campaign_id))
        event = EnterpriseListed(
            campaign_id=campaign_id if named else None,
            uscc=who,
            name="多城市测试企业",
            county_code=county,
            listed_on=on,
        )
        self.events.append((ROSTER_EVENTS, event, who))

    def assigned(self, who: str, county: str, bank: str, on: date, campaign_id: str) -> None:
        self.facts.append(Assignment(who, bank, on, campaign_id))
        event = EnterpriseAssigned(
            campaign_id=campaign_id,
            uscc=who,
            institution_id=bank,
            county_code=county,
            assigned_on=on,
            way="explicit",
        )
        self.events.append((ROSTER_EVENTS, event, who))

    def lent(self, bank: str, loan_id: str, who: str, on: date, attested: bool = True) -> None:
        self.facts.append(Loan(bank, loan_id, who, on, attested, "50"))
        event = LoanIssued(
            loan_id=loan_id,
            institution_id=bank,
            uscc=who,
            enterprise_name="多城市测试企业",
            amount_wan=Decimal("50.00"),
            issued_on=on,
            first_loan_attested=attested,
            guarantee=Guarantee.CREDIT,
        )
        self.events.append((f"bank.{bank}.events", event, who))

    def overdue(self, unit_id: str, period: str, campaign_id: str | None) -> None:
        due = datetime.combine(date(2020, 11, 11), time(0), tzinfo=ZONE)
        event = LedgerOverdue(campaign_id=campaign_id, unit_id=unit_id, period=period, due_at=due)
        self.events.append((LEDGER_EVENTS, event, unit_id))


def scenario() -> Scenario:
    s = Scenario()
    x1, x2, x3 = uscc(1, XINFU), uscc(2, YUANPING), uscc(3, XINFU)
    # Xinzhou, 2020: a first loan, one of an older event naming no campaign, one cultivated.
    s.listed(x1, XINFU, date(2020, 9, 5), "xinzhou-2020")
    s.assigned(x1, XINFU, "icbc", date(2020, 9, 6), "xinzhou-2020")
    s.lent("icbc", "MC-X1-2020", x1, date(2020, 10, 8))
    s.listed(x2, YUANPING, date(2020, 9, 10), "xinzhou-2020", named=False)
    s.lent("ccb", "MC-X2", x2, date(2020, 10, 20))
    s.listed(x3, XINFU, date(2020, 9, 12), "xinzhou-2020")
    s.lent("xzrcu", "MC-X3", x3, date(2020, 11, 1), attested=False)
    # Yunzhou, 2020: the same bank (icbc) lends there too; a false claim of yzrcu's.
    y1, y2, y3 = uscc(11, YUNZHONG), uscc(12, BEILING), uscc(13, YUNZHONG)
    s.listed(y1, YUNZHONG, date(2020, 10, 5), "yunzhou-2020")
    s.assigned(y1, YUNZHONG, "icbc", date(2020, 10, 6), "yunzhou-2020")
    s.lent("icbc", "MC-Y1", y1, date(2020, 10, 20))
    s.listed(y2, BEILING, date(2020, 10, 6), "yunzhou-2020", named=False)
    s.lent("yzrcu", "MC-Y2", y2, date(2020, 11, 5))
    s.listed(y3, YUNZHONG, date(2020, 10, 7), "yunzhou-2020")
    s.lent("ccb", "MC-Y3-0", y3, date(2019, 3, 1), attested=False)
    s.lent("yzrcu", "MC-Y3", y3, date(2020, 11, 10))
    # Xinzhou, 2021: x1 is back and refused by the 5-year rule; two new first loans.
    x4, x5 = uscc(4, DINGXIANG), uscc(5, XINFU)
    s.listed(x1, XINFU, date(2021, 9, 5), "xinzhou-2021")
    s.lent("icbc", "MC-X1-2021", x1, date(2021, 10, 10))
    s.listed(x4, DINGXIANG, date(2021, 9, 6), "xinzhou-2021")
    s.lent("ccb", "MC-X4", x4, date(2021, 10, 1))
    s.listed(x5, XINFU, date(2021, 9, 7), "xinzhou-2021", named=False)
    s.lent("icbc", "MC-X5", x5, date(2021, 10, 15))
    # Ledgers: a Yunzhou county's month attributed by its county; icbc's of each city.
    s.overdue(YUNZHONG, "2020-10", None)
    s.overdue("icbc", "2020-10", "yunzhou-2020")
    return s


SCENARIO = scenario()


def alone(reference: ReferenceData, day: date) -> Attainment:
    """The pure rules for one campaign by itself: its listings and assignments, all loans."""
    window = campaign_window(reference)
    outcomes = [
        evaluate(lens(f, reference), window, day)
        for f in facts_by_enterprise(SCENARIO.facts).values()
    ]
    return attainment(outcomes, reference, day)


def figures_of(current: Attainment) -> dict[str, Any]:
    return {
        "cultivated": current.cultivated,
        "first_loans": current.first_loans,
        "units": {
            u.unit_id: (u.cultivated, u.first_loans, u.status.value)
            for u in (*current.counties, *current.institutions)
        },
    }


async def served_figures(http: httpx.AsyncClient, campaign_id: str, day: date) -> dict[str, Any]:
    units: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for level in ("county", "institution"):
        response = await http.get("/attainment", params={"campaign": campaign_id, "level": level})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["as_of"] == day.isoformat()
        assert body["campaign"]["id"] == campaign_id
        assert {u["campaign_id"] for u in body["units"]} == {campaign_id}
        units |= {
            u["unit_id"]: (u["cultivated"], u["first_loans"], u["status"]) for u in body["units"]
        }
    citywide = body["citywide"]
    return {
        "cultivated": citywide["cultivated"],
        "first_loans": citywide["first_loans"],
        "units": units,
    }


@pytest.fixture(scope="module")
def campaigns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return campaigns_dir(tmp_path_factory.mktemp("c"), "yunzhou-2020", "xinzhou-2021")


def settings_on(namespace: str, campaigns: Path, day: date) -> AssessmentSettings:
    return AssessmentSettings(
        namespace=namespace,
        campaigns=campaigns,
        clock_date=day,
        run_checkpoints=False,
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        tick_seconds=0.5,
    )


@pytest.fixture(scope="module")
async def published(
    private_namespace: str, campaigns: Path, kafka_producer: AIOKafkaProducer
) -> str:
    """The scenario's events, on the module's own topics (yzrcu's topic made first: the
    namespace is provisioned from the packaged campaign alone)."""
    settings = settings_on(private_namespace, campaigns, BOTH_CITIES)
    await create_topics(settings, [TopicSpec("bank.yzrcu.events")])
    for topic, data, key in SCENARIO.events:
        source = (
            f"urn:firstloan:institution:{data.institution_id}"
            if isinstance(data, LoanIssued)
            else f"urn:firstloan:{topic.split('.')[0]}"
        )
        await publish_event(kafka_producer, settings.topic(topic), data, source=source, key=key)
    return private_namespace


async def consumed(runtime: Runtime) -> bool:
    settings = runtime.settings
    groups = {
        settings.topic("assessment.roster"): [settings.topic(ROSTER_EVENTS)],
        settings.topic("assessment.ledger"): [settings.topic(LEDGER_EVENTS)],
        settings.topic("assessment.bank"): [settings.topic(f"bank.{b}.events") for b in BANKS],
    }
    for group, topics in groups.items():
        if not await caught_up(settings.kafka_bootstrap, group, topics):
            return False
    return await runtime.relay.pending() == 0


@dataclass
class Running:
    service: AssessmentService
    day: date

    def client(self, *scopes: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            headers=bearer_headers(self.service.settings, *scopes),
            transport=httpx.ASGITransport(app=self.service.app),
            base_url="http://assessment",
        )


class Platform:
    """The module's assessment, on one day at a time: moving to another day stops the
    service and starts one whose clock says that day (one consumer group, one database)."""

    def __init__(self, namespace: str, campaigns: Path) -> None:
        self.namespace, self.campaigns = namespace, campaigns
        self.stack = contextlib.AsyncExitStack()
        self.current: Running | None = None

    async def on(self, day: date) -> Running:
        if self.current is not None and self.current.day == day:
            return self.current
        await self.stack.aclose()
        self.stack = contextlib.AsyncExitStack()
        service = build(settings_on(self.namespace, self.campaigns, day))
        await self.stack.enter_async_context(service.running())
        runtime = service.runtime
        await eventually(lambda: consumed(runtime), within=60, what="every event taken")

        async def counted_that_day() -> bool:
            async with runtime.engine.connect() as connection:
                days = await SqlStore(connection).outcomes.evaluated_days()
            return set(days) == set(CAMPAIGNS) and set(days.values()) == {day}

        await eventually(counted_that_day, what="the day's count of every campaign")
        await eventually(lambda: consumed(runtime), within=60, what="the tick's events")
        self.current = Running(service, day)
        return self.current


@pytest.fixture(scope="module")
async def platform(published: str, campaigns: Path) -> AsyncIterator[Platform]:
    found = Platform(published, campaigns)
    try:
        yield found
    finally:
        await found.stack.aclose()


@pytest.fixture
async def both_cities(platform: Platform) -> Running:
    return await platform.on(BOTH_CITIES)


@pytest.fixture
async def a_year_later(platform: Platform) -> Running:
    return await platform.on(A_YEAR_LATER)


async def test_two_cities_at_once_each_count_what_the_rules_give_for_it_alone(
    both_cities: Running,
) -> None:
    async with both_cities.client() as http:
        for campaign_id in ("xinzhou-2020", "yunzhou-2020"):
            expected = figures_of(alone(CAMPAIGNS[campaign_id], BOTH_CITIES))
            assert await served_figures(http, campaign_id, BOTH_CITIES) == expected, campaign_id
        xinzhou = await served_figures(http, "xinzhou-2020", BOTH_CITIES)
        yunzhou = await served_figures(http, "yunzhou-2020", BOTH_CITIES)
        assert (xinzhou["cultivated"], xinzhou["first_loans"]) == (3, 2)
        assert (yunzhou["cultivated"], yunzhou["first_loans"]) == (3, 2)
        # One bank, two cities: each city counts its own.
        assert xinzhou["units"]["icbc"][:2] == (1, 1)
        assert yunzhou["units"]["icbc"][:2] == (1, 1)
        # Events written before campaigns had ids are counted where their county is.
        assert xinzhou["units"][YUANPING][:2] == (1, 1)
        assert yunzhou["units"][BEILING][:2] == (1, 1)
        anomalies = (await http.get("/anomalies", params={"campaign": "yunzhou-2020"})).json()
        assert [a["claim"]["loan_id"] for a in anomalies] == ["MC-Y3"]
        assert (await http.get("/anomalies", params={"campaign": "xinzhou-2020"})).json() == []
        # Two campaigns run today: a call that names none is ambiguous.
        ambiguous = await http.get("/attainment")
        assert ambiguous.status_code == 409
        assert set(ambiguous.json()["detail"][0]["candidates"]) == {"xinzhou-2020", "yunzhou-2020"}
        unknown = await http.get("/attainment", params={"campaign": "nowhere-2020"})
        assert unknown.status_code == 422
        assert unknown.json()["detail"][0]["field"] == "campaign"
    # A city's supervisors: their own campaign by default, never the other city's.
    async with both_cities.client("central:1499") as http:
        own = (await http.get("/attainment")).json()
        assert own["campaign"]["id"] == "yunzhou-2020"
        assert own["campaign"]["region"] == {"code": "1499", "name": "云州市（示例）"}
        assert own["campaign"]["status"] == "running"
        other = await http.get("/attainment", params={"campaign": "xinzhou-2020"})
        assert other.status_code == 403


async def test_the_attainment_topic_keys_each_campaigns_unit_apart(both_cities: Running) -> None:
    settings = both_cities.service.settings
    records = await read_topic(settings.kafka_bootstrap, settings.topic(ASSESSMENT_ATTAINMENT))
    latest: dict[str, AttainmentUpdated] = {}
    for record in records:
        event = parse_record(record.value, record.headers)
        update = AttainmentUpdated.model_validate(event.data)  # type: ignore[union-attr]
        assert record.key is not None
        assert record.key.decode() == f"{update.campaign_id}/{update.unit_id}"
        latest[record.key.decode()] = update
    assert latest["xinzhou-2020/icbc"].first_loans == 1
    assert latest["yunzhou-2020/icbc"].first_loans == 1
    assert latest[f"yunzhou-2020/{YUNZHONG}"].cultivated == 2


async def test_escalations_stay_with_their_campaign(both_cities: Running) -> None:
    async with both_cities.client() as http:
        every = (await http.get("/escalations", params={"status": "all"})).json()
        assert {e["campaign_id"] for e in every} == {"xinzhou-2020", "yunzhou-2020"}
        assert len({e["escalation_id"] for e in every}) == len(every)
        yunzhou = (await http.get("/escalations", params={"campaign": "yunzhou-2020"})).json()
        assert yunzhou
        assert {e["campaign_id"] for e in yunzhou} == {"yunzhou-2020"}
        ledgers = {
            (e["unit_id"], e["campaign_id"]) for e in yunzhou if e["reason"] == "ledger_overdue"
        }
        assert ledgers == {(YUNZHONG, "yunzhou-2020"), ("icbc", "yunzhou-2020")}
        # A checkpoint of one campaign: its own ranking, of its own counties.
        run = await http.post(
            "/assessments", params={"campaign": "yunzhou-2020"}, json={"as_of": "2020-12-31"}
        )
        assert run.status_code == 200, run.text
        assert run.json()["campaign_id"] == "yunzhou-2020"
        assert {e["campaign_id"] for e in run.json()["escalations"]} == {"yunzhou-2020"}
        ranking = await http.get(
            "/checkpoints/2020-12-31/ranking", params={"campaign": "yunzhou-2020"}
        )
        assert {r["unit_id"] for r in ranking.json()["counties"]} == {
            YUNZHONG,
            BEILING,
            "149922",
        }
        missing = await http.get(
            "/checkpoints/2020-12-31/ranking", params={"campaign": "xinzhou-2020"}
        )
        assert missing.status_code == 404
    async with both_cities.client("province") as http:
        assert len((await http.get("/escalations", params={"status": "all"})).json()) == len(every)
        refused = await http.post(
            "/assessments", params={"campaign": "yunzhou-2020"}, json={"as_of": "2020-12-31"}
        )
        assert refused.status_code == 403


async def test_a_county_of_one_city_sees_nothing_of_the_other(both_cities: Running) -> None:
    async with both_cities.client(f"county:{XINFU}") as http:
        assert (
            await http.get("/attainment", params={"campaign": "yunzhou-2020"})
        ).status_code == 403
        assert (
            await http.get("/escalations", params={"campaign": "yunzhou-2020"})
        ).status_code == 403
        assert (await http.get("/escalations")).status_code == 403
        other = await http.get(f"/dashboard/units/{XINFU}", params={"campaign": "yunzhou-2020"})
        assert other.status_code == 403
        assert (await http.get(f"/dashboard/units/{YUNZHONG}")).status_code == 403
        own = await http.get(f"/dashboard/units/{XINFU}")
        assert own.status_code == 200, own.text
        assert own.json()["campaign_id"] == "xinzhou-2020"
        assert {e["uscc"] for e in own.json()["enterprises"]} == {uscc(1, XINFU), uscc(3, XINFU)}
        assert all(e["escalation_id"] for e in own.json()["escalations"])
    async with both_cities.client() as http:
        theirs = (await http.get("/escalations", params={"campaign": "yunzhou-2020"})).json()
    seen = {e["escalation_id"] for e in own.json()["escalations"]}
    assert seen.isdisjoint({e["escalation_id"] for e in theirs})


async def test_the_province_is_the_sum_of_its_cities(both_cities: Running) -> None:
    async with both_cities.client("province") as http:
        province = (await http.get("/province")).json()
        cities = (await http.get("/attainment", params={"level": "city"})).json()
    assert province["as_of"] == BOTH_CITIES.isoformat()
    by_code = {c["region"]["code"]: c for c in province["cities"]}
    assert {code: c["campaign"]["id"] for code, c in by_code.items()} == {
        "1409": "xinzhou-2020",
        "1499": "yunzhou-2020",
    }
    totals = province["totals"]
    for figure in ("cultivated", "first_loans"):
        assert totals[figure] == sum(c[figure] for c in province["cities"])
        assert totals["targets"][figure] == sum(c["targets"][figure] for c in province["cities"])
        assert totals["expected"][figure] == pytest.approx(
            sum(c["expected"][figure] for c in province["cities"])
        )
    assert totals["attainment_ratio"] == pytest.approx(
        totals["first_loans"] / totals["expected"]["first_loans"]
    )
    assert by_code["1409"]["targets"]["first_loans"] == sum(
        c.targets.first_loans for c in XINZHOU_2020.counties
    )
    ranking = sorted(
        province["cities"], key=lambda c: (-(c["attainment_ratio"] or 0), -c["first_loans"])
    )
    assert province["ranking"] == [c["region"]["code"] for c in ranking]
    assert [by_code[code]["rank"] for code in province["ranking"]] == [1, 2]
    assert by_code["1499"]["open_escalations"] >= 1
    icbc = next(i for i in province["institutions"] if i["institution_id"] == "icbc")
    assert (icbc["cultivated"], icbc["first_loans"]) == (2, 2)
    assert {(c["region_code"], c["campaign_id"]) for c in icbc["cities"]} == {
        ("1409", "xinzhou-2020"),
        ("1499", "yunzhou-2020"),
    }
    # The city level of the attainment: the same cities, the province's totals.
    units = {u["unit_id"]: u for u in cities["units"]}
    assert {u: (v["level"], v["campaign_id"]) for u, v in units.items()} == {
        "1409": ("city", "xinzhou-2020"),
        "1499": ("city", "yunzhou-2020"),
    }
    for code, city in by_code.items():
        assert (units[code]["cultivated"], units[code]["first_loans"]) == (
            city["cultivated"],
            city["first_loans"],
        )
        assert units[code]["name"] == city["region"]["name"]
    assert (cities["citywide"]["cultivated"], cities["citywide"]["first_loans"]) == (
        totals["cultivated"],
        totals["first_loans"],
    )
    async with both_cities.client("central:1409") as http:
        own = (await http.get("/province")).json()
    assert [c["region"]["code"] for c in own["cities"]] == ["1409"]
    async with both_cities.client() as http:
        series = (
            await http.get("/province/series", params={"from": "2020-10-01", "to": "2020-11-30"})
        ).json()
    trend = {c["region"]["code"]: {p["on"]: p for p in c["points"]} for c in series["cities"]}
    assert trend["1499"]["2020-11-15"]["first_loans"] == by_code["1499"]["first_loans"]
    assert trend["1409"]["2020-11-15"]["first_loans"] == by_code["1409"]["first_loans"]
    assert trend["1409"]["2020-10-07"]["first_loans"] == 0
    assert trend["1409"]["2020-10-08"]["first_loans"] == 1
    assert trend["1499"]["2020-11-16"]["first_loans"] is None
    assert trend["1499"]["2020-11-15"]["expected_first_loans"] == pytest.approx(
        by_code["1499"]["expected"]["first_loans"]
    )


async def test_a_campaign_after_another_refuses_the_first_loans_of_the_first(
    a_year_later: Running,
) -> None:
    async with a_year_later.client() as http:
        expected = figures_of(alone(XINZHOU_2021, A_YEAR_LATER))
        served = await served_figures(http, "xinzhou-2021", A_YEAR_LATER)
        assert served == expected
        # x1, lent to first in 2020, is listed again: not counted; x4 and x5 are.
        assert (served["cultivated"], served["first_loans"]) == (3, 2)
        assert served["units"][XINFU][:2] == (2, 1)
        assert served["units"][DINGXIANG][:2] == (1, 1)
        anomalies = (await http.get("/anomalies", params={"campaign": "xinzhou-2021"})).json()
        assert [
            (a["claim"]["loan_id"], [e["loan_id"] for e in a["evidence"]]) for a in anomalies
        ] == [("MC-X1-2021", ["MC-X1-2020"])]
        # The campaign running in the city today is the one meant.
        assert (await http.get("/attainment")).json()["campaign"]["id"] == "xinzhou-2021"
        # The 2020 campaigns keep their figures.
        assert await served_figures(http, "xinzhou-2020", A_YEAR_LATER) == figures_of(
            alone(XINZHOU_2020, A_YEAR_LATER)
        )
        province = (await http.get("/province")).json()
    assert {c["region"]["code"]: c["campaign"]["id"] for c in province["cities"]} == {
        "1409": "xinzhou-2021",
        "1499": "yunzhou-2020",
    }
    assert {c["region"]["code"]: c["campaign"]["status"] for c in province["cities"]} == {
        "1409": "running",
        "1499": "ended",
    }


async def test_a_rebuild_from_the_topics_gives_every_campaigns_figures(
    a_year_later: Running,
) -> None:
    from assessment.rebuild import rebuild

    settings = a_year_later.service.settings
    assert isinstance(settings, AssessmentSettings)
    result = await rebuild(settings)
    assert set(result.rebuilt.by_campaign) == set(CAMPAIGNS)
    assert result.equal, result.differing
    for campaign_id, reference in CAMPAIGNS.items():
        rebuilt = result.rebuilt.by_campaign[campaign_id]
        assert figures_of(rebuilt) == figures_of(alone(reference, A_YEAR_LATER)), campaign_id
