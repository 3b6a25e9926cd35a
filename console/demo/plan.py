"""The simulated campaigns, as plain data: who is nominated, paired, lent to, and when.

Everything comes from seeded random generators, so the same seed gives the same plan. All
enterprises, the two village banks and the second city (云州市) are fictional. The demo plays
three campaigns (`plan_demo`): Xinzhou's of 2020, Yunzhou's (overlapping it, in another
region) and Xinzhou's of 2021, after the first. Each campaign's plan is shaped so that the
dashboard shows each part of the rules arising: most counties keep pace, some lag (talks,
then a circular), one of Xinzhou's holds no matchmaking fair, a few first-loan claims are
false and one bank makes many in both of Xinzhou's years (a circular for data falsification),
one institution stops filing ledgers. In 2021 about a tenth of Xinzhou's nominations are of
enterprises cultivated in 2020: those that had their first loan then are refused by the 5-year
rule, the others are listed again.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from shared.campaigns import CampaignBook
from shared.contracts import EventData
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.contracts.types import Guarantee, Problem
from shared.reference import Campaign, ReferenceData
from shared.validators import USCC_ALPHABET, uscc_check_character

VILLAGE_BANKS = (
    ("demo-hengshan-vb", "（演示）恒山村镇银行"),
    ("demo-fenhe-vb", "（演示）汾河村镇银行"),
)
LAGGING_COUNTIES = {"140925": 0.25, "140926": 0.45}  # 宁武县, 静乐县: share of the usual pace
COUNTY_WITHOUT_FAIR = "140932"  # 偏关县
CHEATING_BANK = "jincheng"
CHEATS = 12  # the cheating bank's false claims in a campaign: a circular at once
MISTAKEN_CLAIMERS = ("icbc", "xzrcu")  # one false claim each: an anomaly, no escalation
EARLIER_LENDER = "ccb"  # lent to the falsely claimed enterprises two years before
SILENT_LEDGER_UNIT = "datong"  # stops filing after the campaign's first month
NAMESPACE = uuid.UUID("6f1c3f0e-8f1a-4c59-9d0e-5a1f2b3c4d5e")

# The demo's campaigns, in the order they are planned (the 2021 plan needs the 2020 one).
XINZHOU_2020, YUNZHOU_2020, XINZHOU_2021 = "xinzhou-2020", "yunzhou-2020", "xinzhou-2021"
DEMO_CAMPAIGNS = (XINZHOU_2020, YUNZHOU_2020, XINZHOU_2021)
VILLAGE_BANK_CAMPAIGNS = (XINZHOU_2020, XINZHOU_2021)  # Xinzhou's, where the banks are
YUNZHOU_LAGGING_COUNTIES = {"149921": 0.35}  # 北岭县
YUNZHOU_MISTAKEN_CLAIMERS = ("jinshang", "yzrcu")
# Pairing slows over the Spring Festival of 2021 (12 February), in Yunzhou's campaign only.
SPRING_FESTIVAL_2021 = ((date(2021, 2, 5), 0.3), (date(2021, 2, 20), 1.0))
RETURNING_SHARE = 0.1  # of Xinzhou's 2021 nominations: enterprises cultivated in 2020
# A campaign is played until just after its last ledger's due date (late filings after it
# are played too, on their day).
PLAYED_AFTER_LAST_DUE = timedelta(days=2)

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
    county_without_fair: str | None = COUNTY_WITHOUT_FAIR
    silent_ledger_unit: str | None = SILENT_LEDGER_UNIT
    """Files the ledger of the campaign's first month only."""
    cheating_bank: str | None = CHEATING_BANK
    """Makes `CHEATS` false first-loan claims; None: no bank does."""
    mistaken_claimers: tuple[str, ...] = MISTAKEN_CLAIMERS
    """Each makes one false first-loan claim."""
    returning_share: float = 0.0
    """Of the enterprises, the share nominated again after the earlier campaign the planner
    is given (`Planner(earlier=...)`)."""

    @classmethod
    def fitting(cls, campaign: Campaign, **changes: Any) -> Shape:
        """The demo's shape moved to the campaign's dates (the defaults are those of
        Xinzhou's of 2020: late listings up to day 76, fairs from day 15 to day 50, pairings
        until 26 days before the end), with `changes`."""
        start, end = campaign.start, campaign.end
        fitted: dict[str, Any] = {
            "late_listing_until": min(start + timedelta(days=75), end),
            "fairs_between": (start + timedelta(days=14), start + timedelta(days=49)),
            "pairing_until": end - timedelta(days=26),
        }
        return cls(**(fitted | changes))


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
    campaign_id: str = ""  # the campaign it is nominated to (the roster tells it by itself)


@dataclass(frozen=True)
class Fair:
    county_code: str
    title: str
    held_on: date
    campaign_id: str = ""  # facts name none: which plan it is part of


@dataclass(frozen=True)
class Match:
    uscc: str
    institution_id: str
    matched_on: date
    channel: str
    county_code: str
    campaign_id: str = ""


@dataclass(frozen=True)
class BankEvent:
    institution_id: str
    on: date
    event_id: str
    data: EventData
    uscc: str
    campaign_id: str = ""


@dataclass(frozen=True)
class LedgerFiling:
    unit_id: str
    period: str
    on: date
    with_report: bool
    campaign_id: str = ""  # an institution's ledger is a campaign's: the filing names it


@dataclass
class Plan:
    """One campaign's plan, or several played together (`plan_demo`); everything in it
    names the campaign whose plan it is part of."""

    enterprises: list[Enterprise] = field(default_factory=list)
    fairs: list[Fair] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    bank_events: list[BankEvent] = field(default_factory=list)
    filings: list[LedgerFiling] = field(default_factory=list)
    returning: list[Enterprise] = field(default_factory=list)
    """Nominated again after an earlier campaign (in `enterprises` too)."""
    refusals: list[Enterprise] = field(default_factory=list)
    """Of `returning`, those that had their first loan in the earlier campaign: the 5-year
    rule refuses their nomination, and no bank pairs with them."""
    windows: dict[str, tuple[date, date]] = field(default_factory=dict)
    """Per campaign, the days it is played: from its first day to just after its last
    ledger's due date."""

    def days(self, start: date, end: date) -> list[date]:
        return [start + timedelta(days=n) for n in range((end - start).days + 1)]

    def played_days(self) -> list[date]:
        """The days to play, in order: every day of a campaign's window, and any other with
        something planned. Between windows (nothing planned) the clock jumps."""
        played = {day for start, end in self.windows.values() for day in self.days(start, end)}
        return sorted(played | set(by_day(self)))

    def extend(self, other: Plan) -> None:
        """Add another campaign's plan to this one."""
        self.enterprises += other.enterprises
        self.fairs += other.fairs
        self.matches += other.matches
        self.bank_events += other.bank_events
        self.filings += other.filings
        self.returning += other.returning
        self.refusals += other.refusals
        self.windows |= other.windows

    def of(self, campaign_id: str) -> Plan:
        """The part of one campaign."""

        def mine(items: Sequence[Any]) -> list[Any]:
            return [item for item in items if item.campaign_id == campaign_id]

        return Plan(
            enterprises=mine(self.enterprises),
            fairs=mine(self.fairs),
            matches=mine(self.matches),
            bank_events=mine(self.bank_events),
            filings=mine(self.filings),
            returning=mine(self.returning),
            refusals=mine(self.refusals),
            windows={k: w for k, w in self.windows.items() if k == campaign_id},
        )


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
    """One campaign's plan. `earlier`: the plan of the campaign before it in the same
    region, whose enterprises may come back (`Shape.returning_share`) and whose USCCs no new
    enterprise takes. `ids`: appended to the ids of its events, credits and loans, so that
    plans played together never reuse one (a bank's loan ids are unique in the bank)."""

    def __init__(
        self,
        reference: ReferenceData,
        enterprises: int,
        seed: int,
        shape: Shape | None = None,
        *,
        earlier: Plan | None = None,
        ids: str = "",
    ) -> None:
        self.reference = reference
        self.size = enterprises
        self.shape = shape or Shape()
        self.random = random.Random(seed)
        self.campaign = reference.campaign
        self.earlier = earlier
        self.ids = ids
        self.plan = Plan()
        self.taken = {e.uscc for e in earlier.enterprises} if earlier else set()

    def build(self) -> Plan:
        campaign = self.campaign
        last_due = campaign.ledger_due_date(campaign.end.year, campaign.end.month)
        self.plan.windows[campaign.id] = (campaign.start, last_due + PLAYED_AFTER_LAST_DUE)
        returning = self._returning()
        self._enterprises(self.size - len(returning))
        self._nominate_again(returning)
        self._fairs()
        self._matches_and_loans()
        self._false_claims()
        self._ledgers()
        return self.plan

    def _day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.random.randint(0, (end - start).days))

    def _uscc(self, county_code: str, size_class: str) -> str:
        head = "92" if size_class == "individual" else "91"
        while True:
            tail = "".join(self.random.choice(USCC_ALPHABET) for _ in range(7))
            body = f"{head}{county_code}MA{tail}"
            uscc = body + uscc_check_character(body)
            if uscc not in self.taken:
                self.taken.add(uscc)
                return uscc

    def _returning(self) -> list[tuple[Enterprise, bool]]:
        """Enterprises of the earlier campaign to nominate again, each with whether it had
        its first loan then: as many with one as without (one more with, for an odd
        count)."""
        if self.earlier is None:
            return []
        count = round(self.size * self.shape.returning_share)
        lent, unlent = first_loans_of(self.earlier)
        here = self.reference.county_codes
        lent = [e for e in lent if e.county_code in here]
        unlent = [e for e in unlent if e.county_code in here]
        refused = self.random.sample(lent, min(len(lent), (count + 1) // 2))
        again = self.random.sample(unlent, min(len(unlent), count - len(refused)))
        return [(e, True) for e in refused] + [(e, False) for e in again]

    def _nominate_again(self, returning: Sequence[tuple[Enterprise, bool]]) -> None:
        """As the earlier campaign knew them, nominated before this one's list deadline."""
        for earlier, had_first_loan in returning:
            enterprise = replace(
                earlier,
                nominated_on=self._day(self.campaign.start, self.campaign.list_deadline),
                campaign_id=self.campaign.id,
            )
            self.plan.enterprises.append(enterprise)
            self.plan.returning.append(enterprise)
            if had_first_loan:
                self.plan.refusals.append(enterprise)

    def _enterprises(self, count: int) -> None:
        counties = self.reference.counties
        weights = [c.targets.cultivated for c in counties]
        banks = [i for i in self.reference.institutions if i.category != "policy"]
        deadline = self.campaign.list_deadline
        for _ in range(count):
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
                    campaign_id=self.campaign.id,
                )
            )

    def _fairs(self) -> None:
        for county in self.reference.counties:
            if county.code == self.shape.county_without_fair:
                continue
            self.plan.fairs.append(
                Fair(
                    county.code,
                    f"{county.name}首贷专场融资对接会",
                    self._day(*self.shape.fairs_between),
                    self.campaign.id,
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
        refused = {e.uscc for e in self.plan.refusals}
        for enterprise in self.plan.enterprises:
            if enterprise.uscc in refused:
                continue
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
                Match(
                    enterprise.uscc,
                    bank,
                    matched_on,
                    channel,
                    enterprise.county_code,
                    self.campaign.id,
                )
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
                    credit_id=f"C{len(self.plan.bank_events):07d}{self.ids}",
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
            loan_id = f"L{len(self.plan.bank_events):07d}{self.ids}"
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
        number = f"{len(self.plan.bank_events)}{self.ids}"
        self.plan.bank_events.append(
            BankEvent(
                bank, on, event_id(bank, kind, number), data, enterprise.uscc, self.campaign.id
            )
        )

    def _false_claims(self) -> None:
        """Claims of a first loan to enterprises another bank lent to two years before."""
        # Enterprises no bank works with: the false claim is the only loan they get.
        paired = {m.uscc for m in self.plan.matches}
        back = {e.uscc for e in self.plan.returning}
        candidates = [
            e
            for e in self.plan.enterprises
            if e.institution_id is None and e.uscc not in paired and e.uscc not in back
        ]
        # One bank makes many false claims; others make one each (no escalation).
        shape, start, end = self.shape, self.campaign.start, self.campaign.end
        claimers = [shape.cheating_bank] * CHEATS if shape.cheating_bank else []
        claimers += shape.mistaken_claimers
        cheats = self.random.sample(candidates, min(len(claimers), len(candidates)))
        for n, (enterprise, claimer) in enumerate(zip(cheats, claimers, strict=False)):
            earlier = date(start.year - 2, self.random.randint(1, 12), self.random.randint(1, 28))
            self._bank(
                EARLIER_LENDER,
                earlier,
                enterprise,
                self._loan(
                    f"H{n:04d}{self.ids}",
                    EARLIER_LENDER,
                    enterprise,
                    Decimal(50),
                    earlier,
                    None,
                    False,
                    Guarantee.COLLATERAL,
                ),
                "history",
            )
            claimed = self._day(start + timedelta(days=19), end - timedelta(days=31))
            self._bank(
                claimer,
                claimed,
                enterprise,
                self._loan(
                    f"F{n:04d}{self.ids}",
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
        months = campaign_months(self.campaign)
        for unit in units:
            for year, month in months:
                period = f"{year}-{month:02d}"
                if unit == self.shape.silent_ledger_unit and (year, month) > months[0]:
                    continue
                due = self.campaign.ledger_due_date(year, month)
                late = self.random.random() < 0.06
                on = (
                    due + timedelta(days=self.random.randint(1, 4))
                    if late
                    else (due - timedelta(days=self.random.randint(1, 8)))
                )
                self.plan.filings.append(
                    LedgerFiling(
                        unit,
                        period,
                        on,
                        with_report=self.random.random() > 0.04,
                        campaign_id=self.campaign.id,
                    )
                )


def campaign_months(campaign: Campaign) -> list[tuple[int, int]]:
    """(year, month) of every month the campaign has days in, in order."""
    months, (year, month) = [], (campaign.start.year, campaign.start.month)
    while (year, month) <= (campaign.end.year, campaign.end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def first_loans_of(plan: Plan) -> tuple[list[Enterprise], list[Enterprise]]:
    """The plan's enterprises that had their first loan in its campaign (a loan attested as
    first, not reversed, and no loan before the campaign), and those that had no loan at
    all. The others (a reversed loan only, or an earlier loan: the false claims) are in
    neither: what the 5-year rule says of them later is beside the point."""
    reversed_loans = {
        (e.data.institution_id, e.data.loan_id)
        for e in plan.bank_events
        if isinstance(e.data, LoanReversed)
    }
    loans: dict[str, list[tuple[LoanIssued, bool]]] = defaultdict(list)
    for event in plan.bank_events:
        if isinstance(event.data, LoanIssued):
            key = (event.data.institution_id, event.data.loan_id)
            loans[event.data.uscc].append((event.data, key in reversed_loans))
    lent, unlent = [], []
    for enterprise in plan.enterprises:
        had = loans.get(enterprise.uscc, [])
        if not had:
            unlent.append(enterprise)
            continue
        start = plan.windows[enterprise.campaign_id][0]
        if all(loan.issued_on >= start for loan, _ in had) and any(
            loan.first_loan_attested and not withdrawn for loan, withdrawn in had
        ):
            lent.append(enterprise)
    return lent, unlent


def plan_campaign(
    reference: ReferenceData, enterprises: int = 5000, seed: int = 2020, shape: Shape | None = None
) -> Plan:
    return Planner(reference, enterprises, seed, shape).build()


def demo_shapes(book: CampaignBook) -> dict[str, Shape]:
    """Each demo campaign's shape: Xinzhou's of 2020 as it always was, its 2021 one moved to
    its dates with enterprises of 2020 coming back, Yunzhou's with a lagging county of its
    own, every county holding its fair, every unit filing, no bank cheating."""
    return {
        XINZHOU_2020: Shape(),
        YUNZHOU_2020: Shape.fitting(
            book.get(YUNZHOU_2020).campaign,
            county_pace=dict(YUNZHOU_LAGGING_COUNTIES),
            pairing_activity=SPRING_FESTIVAL_2021,
            county_without_fair=None,
            silent_ledger_unit=None,
            cheating_bank=None,
            mistaken_claimers=YUNZHOU_MISTAKEN_CLAIMERS,
        ),
        XINZHOU_2021: Shape.fitting(
            book.get(XINZHOU_2021).campaign, returning_share=RETURNING_SHARE
        ),
    }


def split(total: int, weights: Sequence[int]) -> list[int]:
    """`total` shared by `weights` (largest remainders), summing to `total`."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def campaign_seed(seed: int, campaign_id: str) -> int:
    """Each campaign's own generator, from the demo's seed (the same on every machine)."""
    digest = hashlib.sha256(f"{seed}/{campaign_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def plan_demo(book: CampaignBook, enterprises: int = 11000, seed: int = 2020) -> Plan:
    """The demo's three campaigns (`DEMO_CAMPAIGNS`, which `book` must hold) in one plan:
    `enterprises` in all, shared by the campaigns' cultivation targets; Xinzhou's 2021 plan
    brings back some of its 2020 enterprises."""
    references = [book.get(campaign_id) for campaign_id in DEMO_CAMPAIGNS]
    targets = [sum(c.targets.cultivated for c in r.counties) for r in references]
    sizes = dict(zip(DEMO_CAMPAIGNS, split(enterprises, targets), strict=True))
    shapes = demo_shapes(book)
    plan, parts = Plan(), dict[str, Plan]()
    for reference in references:
        campaign_id = reference.campaign.id
        earlier = parts.get(XINZHOU_2020) if campaign_id == XINZHOU_2021 else None
        parts[campaign_id] = Planner(
            reference,
            sizes[campaign_id],
            campaign_seed(seed, campaign_id),
            shapes[campaign_id],
            earlier=earlier,
            ids="" if campaign_id == XINZHOU_2020 else f"-{campaign_id}",
        ).build()
        plan.extend(parts[campaign_id])
    return plan


def by_day(plan: Plan) -> dict[date, dict[str, list[object]]]:
    """Every action of the plan, grouped by the day it happens. Bank events dated before
    their campaign's first day (the loans of years before) are delivered on that day."""
    first_day = {campaign_id: start for campaign_id, (start, _) in plan.windows.items()}
    days: dict[date, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
    for enterprise in plan.enterprises:
        days[enterprise.nominated_on]["nominations"].append(enterprise)
    for fair in plan.fairs:
        days[fair.held_on - timedelta(days=7)]["fairs"].append(fair)
    for match in plan.matches:
        days[match.matched_on]["matches"].append(match)
    for event in plan.bank_events:
        days[max(event.on, first_day.get(event.campaign_id, event.on))]["bank"].append(event)
    for filing in plan.filings:
        days[filing.on]["filings"].append(filing)
    return days
