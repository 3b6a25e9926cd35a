"""Playing the planned campaigns day by day through the real APIs and bank topics, while the
platform's clock (a file every service reads) follows the simulated date.

Nominations, fairs, pairings and bank events name no campaign: the platform tells it from the
county and the day, as it does for everyone else. Ledgers and special reports are a campaign's
(an institution reports in every campaign it takes part in), so their calls name it. The
nominations of enterprises back from an earlier campaign after a first loan are refused by the
5-year rule: the plan expects it, and the player counts it (anything else is a problem)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from console.demo.fineract import FineractBank
from console.demo.plan import BankEvent, Enterprise, Fair, LedgerFiling, Match, Plan, by_day
from console.platform import LagProbe
from roster.domain.reasons import ReasonCode
from shared.bus import new_producer
from shared.envelope import new_event, to_structured
from shared.kafka_security import bank_principal
from shared.settings import ServiceSettings

BATCH = 500
PARALLEL = 16
PROBLEMS_KEPT = 20  # per campaign
PRIOR_LOAN = ReasonCode.PRIOR_LOAN.value  # the roster's reason: a loan in the 5 years before


@dataclass(frozen=True)
class Endpoints:
    roster: str = "http://127.0.0.1:8101"
    matchmaking: str = "http://127.0.0.1:8102"
    ledger: str = "http://127.0.0.1:8103"
    assessment: str = "http://127.0.0.1:8104"


@dataclass
class Tally:
    """What one campaign's plan did when played."""

    nominated: int = 0
    listed: int = 0
    rejected: int = 0
    """Refused nominations, but for the expected refusals of returning enterprises."""
    returning_refused: int = 0
    """Enterprises back after a first loan in the earlier campaign, refused by the 5-year
    rule (as planned)."""
    returning_listed: int = 0
    """Enterprises back without a loan in the earlier campaign, listed again."""
    refused_examples: list[str] = field(default_factory=list)
    """USCCs of the first few returning enterprises refused (their files tell why)."""
    fairs: int = 0
    matches: int = 0
    bank_events: int = 0
    filings: int = 0
    refused: list[str] = field(default_factory=list)
    """The first problems (an HTTP refusal, a nomination screened otherwise than planned)."""

    def problem(self, line: str) -> None:
        if len(self.refused) < PROBLEMS_KEPT:
            self.refused.append(line)


def nomination_body(enterprise: Enterprise) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "county_code": enterprise.county_code,
        "size_class": enterprise.size_class,
        "source": enterprise.source,
        "nominated_by": enterprise.nominated_by,
        "nominated_on": enterprise.nominated_on.isoformat(),
        "no_loan_in_5y_attested": True,
    }
    if enterprise.institution_id:
        body["institution_id"] = enterprise.institution_id
    return body


class Player:
    def __init__(
        self,
        plan: Plan,
        clock_file: Path,
        endpoints: Endpoints,
        settings: ServiceSettings,
        pace: float,
        headers: dict[str, str] | None = None,
        fineract: FineractBank | None = None,
    ) -> None:
        self.plan = plan
        self.fineract = fineract  # the bank whose events leave through its Fineract, if any
        self.headers = headers or {}  # the Authorization of the demo's calls
        self.clock_file = clock_file
        self.endpoints = endpoints
        self.settings = settings
        self.pace = pace
        self.tallies: defaultdict[str, Tally] = defaultdict(Tally)
        for campaign_id in plan.windows:
            self.tallies[campaign_id] = Tally()
        # By campaign and USCC: the same enterprise was nominated in the earlier campaign.
        self.refusals = {(e.campaign_id, e.uscc) for e in plan.refusals}
        self.returning = {(e.campaign_id, e.uscc) for e in plan.returning}
        self.fair_ids: dict[tuple[str, str], str] = {}  # (campaign, county) -> its fair
        self.probe: LagProbe | None = None

    async def play(
        self, on_day: Callable[[date], None], days: Sequence[date] | None = None
    ) -> dict[str, Tally]:
        """Play `days` (by default the plan's `played_days`: between campaigns the clock
        jumps to the next one, with no wait); each campaign's tally."""
        actions_on = by_day(self.plan)
        banks = BankProducers(self.settings)
        try:
            async with (
                httpx.AsyncClient(timeout=120, headers=self.headers) as http,
                LagProbe(self.settings.kafka_bootstrap) as self.probe,
            ):
                for day in self.plan.played_days() if days is None else days:
                    self.clock_file.write_text(day.isoformat())
                    actions = actions_on.get(day, {})
                    await self._nominate(http, actions.get("nominations", []))
                    await self._fairs(http, actions.get("fairs", []))
                    await self._matches(http, actions.get("matches", []))
                    await self._bank(banks, actions.get("bank", []))
                    await self._filings(http, actions.get("filings", []))
                    await self.settled()
                    on_day(day)
                    await asyncio.sleep(self.pace)
        finally:
            await banks.stop()
        return dict(self.tallies)

    async def settled(self, within: float = 30.0) -> None:
        """Wait (up to `within` seconds) until every service has consumed all there is, so
        that the next day, and any checkpoint on it, counts what happened today."""
        assert self.probe is not None
        deadline = asyncio.get_running_loop().time() + within
        calm = 0
        while calm < 2 and asyncio.get_running_loop().time() < deadline:
            lags = await self.probe.lag()
            calm = calm + 1 if all(g.lag == 0 for g in lags) else 0
            await asyncio.sleep(0.05)

    async def _nominate(self, http: httpx.AsyncClient, enterprises: Sequence[Any]) -> None:
        for start in range(0, len(enterprises), BATCH):
            chunk: list[Enterprise] = list(enterprises[start : start + BATCH])
            response = await http.post(
                f"{self.endpoints.roster}/nominations/batch",
                json=[nomination_body(e) for e in chunk],
            )
            for enterprise in chunk:
                self.tallies[enterprise.campaign_id].nominated += 1
            if not self._check(response, "nominations", chunk[0].campaign_id):
                continue
            rows = {int(row["row"]): row for row in response.json().get("rows", [])}
            for number, enterprise in enumerate(chunk, start=1):
                self._screened(enterprise, rows.get(number, {}))

    def _screened(self, enterprise: Enterprise, row: dict[str, Any]) -> None:
        """Count one nomination's result (a batch row: status and reasons) in its campaign."""
        tally = self.tallies[enterprise.campaign_id]
        status = row.get("status")
        codes = sorted({str(r.get("code")) for r in row.get("reasons", [])})
        nomination = (enterprise.campaign_id, enterprise.uscc)
        if nomination in self.refusals:
            if status == "rejected" and PRIOR_LOAN in codes:
                tally.returning_refused += 1
                if len(tally.refused_examples) < 3:
                    tally.refused_examples.append(enterprise.uscc)
            else:
                tally.problem(
                    f"nomination of {enterprise.uscc}, back after a first loan: {status} "
                    f"{codes}, where the 5-year rule ({PRIOR_LOAN}) should refuse it"
                )
            return
        if status == "listed":
            tally.listed += 1
        elif status == "rejected":
            tally.rejected += 1
        if nomination in self.returning:
            if status == "rejected":
                tally.problem(f"nomination of {enterprise.uscc}, back with no loan before: {codes}")
            else:
                tally.returning_listed += 1

    async def _fairs(self, http: httpx.AsyncClient, fairs: Iterable[Any]) -> None:
        for fair in fairs:
            assert isinstance(fair, Fair)
            response = await http.post(
                f"{self.endpoints.matchmaking}/fairs",
                json={
                    "county_code": fair.county_code,
                    "title": fair.title,
                    "held_on": fair.held_on.isoformat(),
                    "organizer": "人民银行县支行",
                },
            )
            if self._check(response, "fair", fair.campaign_id):
                self.fair_ids[fair.campaign_id, fair.county_code] = response.json()["fair_id"]
                self.tallies[fair.campaign_id].fairs += 1

    async def _matches(self, http: httpx.AsyncClient, matches: Sequence[Any]) -> None:
        async def one(match: Match) -> None:
            body: dict[str, Any] = {
                "uscc": match.uscc,
                "institution_id": match.institution_id,
                "matched_on": match.matched_on.isoformat(),
                "channel": match.channel,
            }
            if match.channel == "fair":
                body["fair_id"] = self.fair_ids.get((match.campaign_id, match.county_code))
            response = await http.post(f"{self.endpoints.matchmaking}/matches", json=body)
            if self._check(response, "match", match.campaign_id):
                self.tallies[match.campaign_id].matches += 1

        await _bounded([one(m) for m in matches])

    async def _bank(self, banks: BankProducers, events: Sequence[Any]) -> None:
        sends = []
        for event in events:
            assert isinstance(event, BankEvent)
            producer = await banks.of(event.institution_id)
            self.tallies[event.campaign_id].bank_events += 1
            if self.fineract and event.institution_id == self.fineract.institution_id:
                key, value = self.fineract.encode(event)
                topic = self.settings.topic(self.fineract.topic)
                sends.append(await producer.send(topic, value, key=key))
                continue
            envelope = new_event(
                event.data.event_name(),
                f"urn:firstloan:institution:{event.institution_id}",
                event.data.model_dump(mode="json"),
                subject=event.uscc,
                event_id=event.event_id,
            )
            value, headers = to_structured(envelope)
            topic = self.settings.topic(f"bank.{event.institution_id}.events")
            sends.append(
                await producer.send(topic, value, key=event.uscc.encode(), headers=headers)
            )
        await asyncio.gather(*sends)

    async def _filings(self, http: httpx.AsyncClient, filings: Sequence[Any]) -> None:
        async def one(filing: LedgerFiling) -> None:
            base = self.endpoints.ledger
            # A county's ledger is of one campaign on any month; an institution's is of each
            # campaign it takes part in: named either way.
            campaign = {"campaign": filing.campaign_id}
            if filing.with_report:
                await http.post(
                    f"{base}/reports",
                    params=campaign,
                    json={
                        "unit_id": filing.unit_id,
                        "period": filing.period,
                        "category": "assistance_summary",
                        "title": f"{filing.period}首贷培植帮扶活动总结",
                        "body": "本月组织银企对接，走访企业，开展首贷宣讲。",
                    },
                )
            response = await http.post(
                f"{base}/ledgers/{filing.unit_id}/{filing.period}/submit",
                params=campaign,
                json={},
            )
            if self._check(response, "ledger", filing.campaign_id, also_fine=(409, 422)):
                self.tallies[filing.campaign_id].filings += 1

        await _bounded([one(f) for f in filings])

    def _check(
        self,
        response: httpx.Response,
        what: str,
        campaign_id: str,
        also_fine: tuple[int, ...] = (),
    ) -> bool:
        if response.is_success:
            return True
        if response.status_code not in also_fine:
            self.tallies[campaign_id].problem(
                f"{what}: HTTP {response.status_code} {response.text[:200]}"
            )
        return False


async def _bounded(calls: Sequence[Awaitable[None]]) -> None:
    gate = asyncio.Semaphore(PARALLEL)

    async def run(call: Awaitable[None]) -> None:
        async with gate:
            await call

    await asyncio.gather(*(run(c) for c in calls))


class BankProducers:
    """Each simulated bank publishes as itself, with its own principal and rights."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.producers: dict[str, AIOKafkaProducer] = {}

    async def of(self, institution_id: str) -> AIOKafkaProducer:
        if institution_id not in self.producers:
            own = self.settings.model_copy(update={"kafka_user": bank_principal(institution_id)})
            producer = new_producer(own, role="demo")
            await producer.start()
            self.producers[institution_id] = producer
        return self.producers[institution_id]

    async def stop(self) -> None:
        for producer in self.producers.values():
            await producer.stop()
