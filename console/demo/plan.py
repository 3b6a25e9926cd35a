"""The simulated campaign, as plain data: who is nominated, paired, lent to, and when.

Everything comes from one seeded random generator, so the same seed gives the same campaign.
All enterprises and the two village banks are fictional. The plan is shaped so that the
dashboard shows each part of the rules arising: most counties keep pace, two lag (talks,
then a circular), one holds no matchmaking fair, a few first-loan claims are false and one
bank makes many (a circular for data falsification), one institution stops filing ledgers.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from shared.contracts import EventData
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.contracts.types import Guarantee, Problem
from shared.reference import ReferenceData
from shared.validators import USCC_ALPHABET, uscc_check_character

VILLAGE_BANKS = (
    ("demo-hengshan-vb", "（演示）恒山村镇银行"),
    ("demo-fenhe-vb", "（演示）汾河村镇银行"),
)
LAGGING_COUNTIES = {"140925": 0.25, "140926": 0.45}  # 宁武县, 静乐县: share of the usual pace
COUNTY_WITHOUT_FAIR = "140932"  # 偏关县
CHEATING_BANK = "jincheng"
SILENT_LEDGER_UNIT = "datong"  # stops filing after September
NAMESPACE = uuid.UUID("6f1c3f0e-8f1a-4c59-9d0e-5a1f2b3c4d5e")

_WORDS = "福盛鑫源恒通兴旺丰泰华宏裕隆金瑞德顺康达利民晋安永和嘉禾博远"
_TRADES = ("商贸", "农业科技", "食品", "建材", "物流", "餐饮", "养殖", "农产品", "服装", "机械")
_FORMS = {"small": "有限公司", "micro": "有限公司", "individual": "经营部"}


@dataclass(frozen=True)
class Shape:
    """How the campaign unfolds; the defaults are the demo's. The forecast's backtest plays
    other shapes (`bench/forecast_backtest.py`)."""

    county_pace: Mapping[str, float] = field(default_factory=lambda: dict(LAGGING_COUNTIES))
    """Per county, its share of the usual credit rate (1 when absent)."""
    institution_pace: Mapping[str, float] = field(default_factory=dict)
    """Per institution, its share of the usual credit rate (1 when absent)."""
    credit_rate: float = 0.78
    """Of the enterprises paired, the share that gets credit and a loan at the usual pace."""
    pairing_share: float = 0.88
    late_listing_share: float = 0.08
    """Nominated after the list deadline, up to `late_listing_until`."""
    late_listing_until: date = date(2020, 11, 15)
    fairs_between: tuple[date, date] = (date(2020, 9, 15), date(2020, 10, 20))
    pairing_until: date = date(2020, 12, 5)
    pairing_activity: tuple[tuple[date, float], ...] = ()
    """How busy pairing is from each date on (relative to 1 before the first); none: the
    same every day."""
    lends_from: Mapping[str, date] = field(default_factory=dict)
    """Institutions that issue no loan before the given date: their decisions wait."""


@dataclass(frozen=True)
class Enterprise:
    uscc: str
    name: str
    county_code: str
    size_class: str
    source: str
    nominated_by: str
    nominated_on: date
    institution_id: str | None


@dataclass(frozen=True)
class Fair:
    county_code: str
    title: str
    held_on: date


@dataclass(frozen=True)
class Match:
    uscc: str
    institution_id: str
    matched_on: date
    channel: str
    county_code: str


@dataclass(frozen=True)
class BankEvent:
    institution_id: str
    on: date
    event_id: str
    data: EventData
    uscc: str


@dataclass(frozen=True)
class LedgerFiling:
    unit_id: str
    period: str
    on: date
    with_report: bool


@dataclass
class Plan:
    enterprises: list[Enterprise] = field(default_factory=list)
    fairs: list[Fair] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    bank_events: list[BankEvent] = field(default_factory=list)
    filings: list[LedgerFiling] = field(default_factory=list)

    def days(self, start: date, end: date) -> list[date]:
        return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def demo_reference_toml(packaged: str) -> str:
    """The packaged reference data plus the two fictional village banks."""
    extra = "".join(
        f'\n[[institutions]]\nid = "{bank_id}"\nname = "{name}"\ncategory = "village_bank"\n'
        for bank_id, name in VILLAGE_BANKS
    )
    return packaged.rstrip() + "\n" + extra


def event_id(*parts: object) -> str:
    """Deterministic ids: playing the demo twice delivers the same events, counted once."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


class Planner:
    def __init__(
        self, reference: ReferenceData, enterprises: int, seed: int, shape: Shape | None = None
    ) -> None:
        self.reference = reference
        self.size = enterprises
        self.shape = shape or Shape()
        self.random = random.Random(seed)
        self.campaign = reference.campaign
        self.plan = Plan()
        self.serial = 0

    def build(self) -> Plan:
        self._enterprises()
        self._fairs()
        self._matches_and_loans()
        self._false_claims()
        self._ledgers()
        return self.plan

    def _day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.random.randint(0, (end - start).days))

    def _uscc(self, county_code: str, size_class: str) -> str:
        self.serial += 1
        head = "92" if size_class == "individual" else "91"
        tail = "".join(self.random.choice(USCC_ALPHABET) for _ in range(7))
        body = f"{head}{county_code}MA{tail}"
        return body + uscc_check_character(body)

    def _enterprises(self) -> None:
        counties = self.reference.counties
        weights = [c.targets.cultivated for c in counties]
        banks = [i for i in self.reference.institutions if i.category != "policy"]
        deadline = self.campaign.list_deadline
        for _ in range(self.size):
            county = self.random.choices(counties, weights)[0]
            size_class = self.random.choices(["micro", "small", "individual"], [55, 25, 20])[0]
            source = self.random.choices(["government", "bank", "supply_chain"], [70, 20, 10])[0]
            bank = self.random.choice(banks) if source != "government" else None
            late = self.random.random() < self.shape.late_listing_share
            nominated_on = (
                self._day(deadline + timedelta(days=1), self.shape.late_listing_until)
                if late
                else self._day(self.campaign.start, deadline)
            )
            name = (
                county.name
                + "".join(self.random.sample(_WORDS, 2))
                + self.random.choice(_TRADES)
                + _FORMS[size_class]
            )
            by = (
                bank.name
                if bank
                else self.random.choice(["经信局", "发改局", "商务局", "市场监管局"])
            )
            self.plan.enterprises.append(
                Enterprise(
                    uscc=self._uscc(county.code, size_class),
                    name=name,
                    county_code=county.code,
                    size_class=size_class,
                    source=source,
                    nominated_by=by if bank else f"{county.name}{by}",
                    nominated_on=nominated_on,
                    institution_id=bank.id if bank else None,
                )
            )

    def _fairs(self) -> None:
        for county in self.reference.counties:
            if county.code == COUNTY_WITHOUT_FAIR:
                continue
            self.plan.fairs.append(
                Fair(
                    county.code,
                    f"{county.name}首贷专场融资对接会",
                    self._day(*self.shape.fairs_between),
                )
            )

    def _institution_weights(self) -> tuple[list[str], list[int]]:
        ids, weights = [], []
        for institution in self.reference.institutions:
            targets = self.reference.targets_for_institution(institution.id)
            ids.append(institution.id)
            weights.append(targets.first_loans if targets else 30)
        return ids, weights

    def _matches_and_loans(self) -> None:
        ids, weights = self._institution_weights()
        fair_day = {f.county_code: f.held_on for f in self.plan.fairs}
        for enterprise in self.plan.enterprises:
            if self.random.random() > self.shape.pairing_share:
                continue
            bank = enterprise.institution_id or self.random.choices(ids, weights)[0]
            channel = self.random.choices(
                ["fair", "one_on_one", "online", "service_center"], [40, 30, 15, 15]
            )[0]
            held = fair_day.get(enterprise.county_code)
            if channel == "fair" and held is not None and held >= enterprise.nominated_on:
                matched_on = held
            else:
                channel = "one_on_one" if channel == "fair" else channel
                matched_on = self._pairing_day(enterprise.nominated_on)
            self.plan.matches.append(
                Match(enterprise.uscc, bank, matched_on, channel, enterprise.county_code)
            )
            self._outcome(enterprise, bank, matched_on)

    def _pairing_day(self, nominated_on: date) -> date:
        last = max(nominated_on, self.shape.pairing_until)
        if not self.shape.pairing_activity:
            return self._day(nominated_on, last)
        days = [nominated_on + timedelta(days=n) for n in range((last - nominated_on).days + 1)]
        weights = [self._pairing_activity(day) for day in days]
        if not any(weights):
            return last
        return self.random.choices(days, weights)[0]

    def _pairing_activity(self, day: date) -> float:
        level = 1.0
        for since, activity in self.shape.pairing_activity:
            if day >= since:
                level = activity
        return level

    def _outcome(self, enterprise: Enterprise, bank: str, matched_on: date) -> None:
        shape = self.shape
        pace = shape.county_pace.get(enterprise.county_code, 1.0)
        pace *= shape.institution_pace.get(bank, 1.0)
        roll = self.random.random()
        applied_on = matched_on + timedelta(days=self.random.randint(0, 5))
        if roll < shape.credit_rate * pace:
            granted_on = applied_on + timedelta(days=self.random.randint(3, 16))
            issued_on = granted_on + timedelta(days=self.random.randint(0, 4))
            lends_from = shape.lends_from.get(bank)
            if lends_from is not None and issued_on < lends_from:
                wait = self._day(lends_from, self.campaign.end) - issued_on
                granted_on, issued_on = granted_on + wait, issued_on + wait
            if issued_on > self.campaign.end:
                return
            amount = Decimal(self.random.choice([10, 20, 30, 50, 80, 100, 150, 200]))
            guarantee = self.random.choices(list(Guarantee), [45, 25, 20, 10])[0]
            self._bank(
                bank,
                granted_on,
                enterprise,
                CreditGranted(
                    credit_id=f"C{self.serial:06d}",
                    institution_id=bank,
                    uscc=enterprise.uscc,
                    enterprise_name=enterprise.name,
                    amount_wan=amount,
                    granted_on=granted_on,
                    applied_on=applied_on,
                    guarantee=guarantee,
                ),
                "credit",
            )
            loan_id = f"L{len(self.plan.bank_events):07d}"
            self._bank(
                bank,
                issued_on,
                enterprise,
                self._loan(
                    loan_id, bank, enterprise, amount, issued_on, applied_on, True, guarantee
                ),
                "loan",
            )
            if self.random.random() < 0.02:
                self._bank(
                    bank,
                    issued_on + timedelta(days=3),
                    enterprise,
                    LoanReversed(
                        loan_id=loan_id,
                        institution_id=bank,
                        reversed_on=issued_on + timedelta(days=3),
                        reason="录入错误，冲正",
                    ),
                    "reversal",
                )
            if self.random.random() < 0.1 and issued_on + timedelta(days=30) <= self.campaign.end:
                again = issued_on + timedelta(days=30)
                self._bank(
                    bank,
                    again,
                    enterprise,
                    self._loan(
                        f"{loan_id}R", bank, enterprise, amount, again, None, False, guarantee
                    ),
                    "loan",
                )
        elif roll < shape.credit_rate * pace + 0.15:
            declined_on = applied_on + timedelta(days=self.random.randint(3, 12))
            problems = self.random.sample(list(Problem)[:5], self.random.randint(1, 2))
            self._bank(
                bank,
                min(declined_on, self.campaign.end),
                enterprise,
                CreditDeclined(
                    institution_id=bank,
                    uscc=enterprise.uscc,
                    enterprise_name=enterprise.name,
                    declined_on=min(declined_on, self.campaign.end),
                    problems=problems,
                ),
                "decline",
            )

    def _loan(
        self,
        loan_id: str,
        bank: str,
        enterprise: Enterprise,
        amount: Decimal,
        issued_on: date,
        applied_on: date | None,
        attested: bool,
        guarantee: Guarantee,
    ) -> LoanIssued:
        return LoanIssued(
            loan_id=loan_id,
            institution_id=bank,
            uscc=enterprise.uscc,
            enterprise_name=enterprise.name,
            amount_wan=amount,
            issued_on=issued_on,
            applied_on=applied_on,
            first_loan_attested=attested,
            annual_rate_pct=round(self.random.uniform(3.85, 6.5), 2),
            guarantee=guarantee,
        )

    def _bank(
        self, bank: str, on: date, enterprise: Enterprise, data: EventData, kind: str
    ) -> None:
        self.plan.bank_events.append(
            BankEvent(
                bank, on, event_id(bank, kind, len(self.plan.bank_events)), data, enterprise.uscc
            )
        )

    def _false_claims(self) -> None:
        """Claims of a first loan to enterprises another bank lent to two years before."""
        # Enterprises no bank works with: the false claim is the only loan they get.
        paired = {m.uscc for m in self.plan.matches}
        candidates = [
            e for e in self.plan.enterprises if e.institution_id is None and e.uscc not in paired
        ]
        cheats = self.random.sample(candidates, 14)
        for n, enterprise in enumerate(cheats):
            # One bank makes many false claims; two others make one each (no escalation).
            claimer = CHEATING_BANK if n < 12 else ("icbc", "xzrcu")[n % 2]
            earlier = date(2018, self.random.randint(1, 12), self.random.randint(1, 28))
            self._bank(
                "ccb",
                earlier,
                enterprise,
                self._loan(
                    f"H{n:04d}",
                    "ccb",
                    enterprise,
                    Decimal(50),
                    earlier,
                    None,
                    False,
                    Guarantee.COLLATERAL,
                ),
                "history",
            )
            claimed = self._day(date(2020, 9, 20), date(2020, 11, 30))
            self._bank(
                claimer,
                claimed,
                enterprise,
                self._loan(
                    f"F{n:04d}",
                    claimer,
                    enterprise,
                    Decimal(30),
                    claimed,
                    claimed,
                    True,
                    Guarantee.CREDIT,
                ),
                "claim",
            )

    def _ledgers(self) -> None:
        units = [c.code for c in self.reference.counties] + [
            i.id for i in self.reference.institutions
        ]
        months = [(2020, 9), (2020, 10), (2020, 11), (2020, 12)]
        for unit in units:
            for year, month in months:
                period = f"{year}-{month:02d}"
                if unit == SILENT_LEDGER_UNIT and month > 9:
                    continue
                due = self.campaign.ledger_due_date(year, month)
                late = self.random.random() < 0.06
                on = (
                    due + timedelta(days=self.random.randint(1, 4))
                    if late
                    else (due - timedelta(days=self.random.randint(1, 8)))
                )
                self.plan.filings.append(
                    LedgerFiling(unit, period, on, with_report=self.random.random() > 0.04)
                )


def plan_campaign(
    reference: ReferenceData, enterprises: int = 5000, seed: int = 2020, shape: Shape | None = None
) -> Plan:
    return Planner(reference, enterprises, seed, shape).build()


def by_day(plan: Plan) -> dict[date, dict[str, list[object]]]:
    """Every action of the plan, grouped by the day it happens."""
    days: dict[date, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
    for enterprise in plan.enterprises:
        days[enterprise.nominated_on]["nominations"].append(enterprise)
    for fair in plan.fairs:
        days[fair.held_on - timedelta(days=7)]["fairs"].append(fair)
    for match in plan.matches:
        days[match.matched_on]["matches"].append(match)
    for event in plan.bank_events:
        days[max(event.on, date(2020, 9, 1))]["bank"].append(event)
    for filing in plan.filings:
        days[filing.on]["filings"].append(filing)
    return days
