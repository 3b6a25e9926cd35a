"""The ledger's handlers over the in-memory store: what they store and what they publish."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ledger import views
from ledger.commands import SubmitLedger
from ledger.domain.facts import ListedEnterprise, Loan, Reversal
from ledger.domain.periods import Month
from ledger.domain.workflow import NoticeKind
from ledger.handlers import Handlers
from ledger.reporting_units import reporting_unit_of
from ledger.storage import Store
from shared.campaigns import book_of
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.contracts.matchmaking import EnterpriseMatched
from shared.contracts.roster import EnterpriseListed
from shared.reference import load_reference
from shared.testing import EXAMPLE_CAMPAIGNS, message, recorded, sample_uscc, unit_of_work_over
from shared.unit_of_work import UnitOfWork

from .fakes import InMemoryStore

SHANGHAI = ZoneInfo("Asia/Shanghai")
REFERENCE = load_reference()
COUNTY = "140921"
OCTOBER = Month(2020, 10)
USCC = sample_uscc(1, county=COUNTY, tag="LH")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def handlers_at(clock: Clock) -> Handlers:
    return Handlers(lambda: book_of([REFERENCE]), clock)


def new_uow() -> tuple[UnitOfWork[Store], InMemoryStore]:
    store = InMemoryStore()
    return unit_of_work_over(store), store


def matched(on: str = "2020-10-12", match_id: str = "M-1") -> EnterpriseMatched:
    return EnterpriseMatched.model_validate(
        {
            "match_id": match_id,
            "uscc": USCC,
            "institution_id": "icbc",
            "county_code": COUNTY,
            "matched_on": on,
            "channel": "fair",
        }
    )


def issued(on: str, amount: str = "80.00", loan_id: str = "L-1") -> LoanIssued:
    return LoanIssued.model_validate(
        {
            "loan_id": loan_id,
            "institution_id": "icbc",
            "uscc": USCC,
            "enterprise_name": "定襄甲公司",
            "amount_wan": amount,
            "issued_on": on,
            "first_loan_attested": True,
            "guarantee": "credit",
        }
    )


def reversed_(on: str, reason: str = "录入错误") -> LoanReversed:
    return LoanReversed.model_validate(
        {"loan_id": "L-1", "institution_id": "icbc", "reversed_on": on, "reason": reason}
    )


def listed(on: str, name: str, county: str = COUNTY) -> EnterpriseListed:
    return EnterpriseListed.model_validate(
        {"uscc": USCC, "name": name, "county_code": county, "listed_on": on}
    )


async def october_rows(store: InMemoryStore, now: datetime) -> list[Any]:
    county = reporting_unit_of(REFERENCE, COUNTY)
    view = await views.ledger_view(store, REFERENCE, county, OCTOBER, now)
    return view.rows


async def test_a_pairing_then_a_loan_make_a_row_with_the_loan() -> None:
    clock = Clock(datetime(2020, 11, 5, 12, tzinfo=SHANGHAI))
    handlers = handlers_at(clock)
    uow, store = new_uow()
    await handlers.apply_pairings(uow, [message(matched())])
    await handlers.apply_loans(uow, [message(issued("2020-10-20"))])
    [row] = await october_rows(store, clock.now)
    assert (row.uscc, row.institution_id) == (USCC, "icbc")
    assert row.loan_amount_wan == Decimal("80.00")
    assert row.enterprise_name == "定襄甲公司"


async def test_a_reversal_withdraws_the_loan_from_the_row() -> None:
    clock = Clock(datetime(2020, 11, 5, 12, tzinfo=SHANGHAI))
    handlers = handlers_at(clock)
    uow, store = new_uow()
    await handlers.apply_reversals(uow, [message(reversed_("2020-10-21"))])  # before its loan
    await handlers.apply_pairings(uow, [message(matched())])
    await handlers.apply_loans(uow, [message(issued("2020-10-20"))])
    [row] = await october_rows(store, clock.now)
    assert row.loan_amount_wan == 0
    assert "冲正贷款1笔80.00万元" in row.remarks


async def test_a_submission_announces_itself_once() -> None:
    clock = Clock(datetime(2020, 11, 5, 12, tzinfo=SHANGHAI))
    handlers = handlers_at(clock)
    uow, store = new_uow()
    await handlers.apply_pairings(uow, [message(matched())])
    county = reporting_unit_of(REFERENCE, COUNTY)
    submission = await handlers.submit_ledger(uow, SubmitLedger(county, OCTOBER))
    await uow.flush()
    [event] = recorded(uow).events("LedgerSubmitted")
    assert event.data["unit_id"] == COUNTY
    assert (event.data["version"], event.data["row_count"], event.data["late"]) == (1, 1, False)
    assert submission.submitted_at == clock.now
    [filed] = store.filings.versions
    assert filed.snapshot["status"] == "submitted"
    assert len(filed.snapshot["rows"]) == 1
    assert store.filings.locks == [f"ledger:xinzhou-2020:{COUNTY}:{OCTOBER}"]


async def test_a_passed_due_date_gives_ledger_overdue_once() -> None:
    clock = Clock(datetime(2020, 11, 10, 23, 59, tzinfo=SHANGHAI))
    handlers = handlers_at(clock)
    uow, store = new_uow()
    county = reporting_unit_of(REFERENCE, COUNTY)
    await handlers.submit_ledger(uow, SubmitLedger(county, Month(2020, 9)))
    before = await handlers.give_due_notices(uow)
    assert {str(notice.month) for notice in before} == {"2020-09"}  # October not yet due

    clock.now = datetime(2020, 11, 11, tzinfo=SHANGHAI)  # October's due time
    assert await handlers.give_due_notices(uow) != []
    assert await handlers.give_due_notices(uow) == []
    await uow.flush()
    overdue = [(e.data["unit_id"], e.data["period"]) for e in recorded(uow).events("LedgerOverdue")]
    assert overdue.count((COUNTY, "2020-10")) == 1
    assert (COUNTY, "2020-09") not in overdue  # filed on time
    assert len(overdue) == len(set(overdue))
    notice = ("xinzhou-2020", NoticeKind.LEDGER_OVERDUE, COUNTY, OCTOBER)
    assert store.filings.notices[notice] == clock.now
    assert store.filings.locks.count("notices") == 3


# --- copies of one fact: the kept copy does not depend on the order they came in ---------

LOAN_COPIES = [
    issued("2020-10-20", "80.00"),
    issued("2020-10-18", "60.00"),
    issued("2020-10-18", "50.00"),
]
REVERSAL_COPIES = [reversed_("2020-10-25", "录入错误"), reversed_("2020-10-22", "重复发放")]
LISTING_COPIES = [
    listed("2020-09-20", "乙名", "140902"),
    listed("2020-09-05", "定襄甲公司"),
    listed("2020-09-05", "定襄甲有限公司"),
]


async def kept(order: list[Any], batch_size: int) -> tuple[Loan, Reversal, ListedEnterprise]:
    handlers = handlers_at(Clock(datetime(2020, 11, 5, tzinfo=SHANGHAI)))
    uow, store = new_uow()
    for start in range(0, len(order), batch_size):
        batch = [message(payload) for payload in order[start : start + batch_size]]
        await handlers.apply_loans(uow, [m for m in batch if isinstance(m.payload, LoanIssued)])
        await handlers.apply_reversals(
            uow, [m for m in batch if isinstance(m.payload, LoanReversed)]
        )
        await handlers.apply_listings(
            uow, [m for m in batch if isinstance(m.payload, EnterpriseListed)]
        )
    [loan] = store.facts.loans.values()
    [reversal] = store.facts.reversals.values()
    [enterprise] = store.facts.enterprises.values()
    return loan, reversal, enterprise


@given(
    order=st.permutations([*LOAN_COPIES, *REVERSAL_COPIES, *LISTING_COPIES]),
    batch_size=st.integers(1, 8),
)
def test_copies_of_a_fact_keep_the_same_copy_in_any_order(
    order: list[Any], batch_size: int
) -> None:
    loan, reversal, enterprise = asyncio.run(kept(order, batch_size))
    assert (loan.issued_on, loan.amount_wan) == (date(2020, 10, 18), Decimal("50.00"))
    assert (reversal.reversed_on, reversal.reason) == (date(2020, 10, 22), "重复发放")
    assert (enterprise.listed_on, enterprise.name) == (date(2020, 9, 5), "定襄甲公司")
    assert enterprise.county_code == COUNTY


# --- several campaigns: each campaign's ledgers, rows of its region, notices --------------

YUNZHOU = load_reference(EXAMPLE_CAMPAIGNS / "yunzhou-2020.toml")
TWO_CITIES = book_of([REFERENCE, YUNZHOU])
YUNZHOU_COUNTY = "149902"
YUNZHOU_USCC = sample_uscc(2, county=YUNZHOU_COUNTY, tag="MA")


def paired(uscc: str, county: str, match_id: str) -> EnterpriseMatched:
    return matched(match_id=match_id).model_copy(update={"uscc": uscc, "county_code": county})


async def test_an_institution_keeps_a_ledger_per_campaign_with_its_regions_rows() -> None:
    clock = Clock(datetime(2020, 11, 5, 12, tzinfo=SHANGHAI))
    handlers = Handlers(lambda: TWO_CITIES, clock)
    uow, store = new_uow()
    await handlers.apply_pairings(
        uow,
        [
            message(paired(USCC, COUNTY, "M-X")),
            message(paired(YUNZHOU_USCC, YUNZHOU_COUNTY, "M-Y")),
            # a pairing of an enterprise of no known county: in neither city's ledger
            message(paired(sample_uscc(3), COUNTY, "M-U").model_copy(update={"county_code": None})),
        ],
    )
    for reference, expected in ((REFERENCE, USCC), (YUNZHOU, YUNZHOU_USCC)):
        icbc = reporting_unit_of(reference, "icbc")
        view = await views.ledger_view(store, reference, icbc, OCTOBER, clock.now, TWO_CITIES)
        assert [row.uscc for row in view.rows] == [expected]
        await handlers.submit_ledger(uow, SubmitLedger(icbc, OCTOBER))
    await uow.flush()
    submitted = recorded(uow).events("LedgerSubmitted")
    assert sorted((e.data["campaign_id"], e.data["unit_id"]) for e in submitted) == [
        ("xinzhou-2020", "icbc"),
        ("yunzhou-2020", "icbc"),
    ]
    assert {(v.campaign_id, v.submission.version) for v in store.filings.versions} == {
        ("xinzhou-2020", 1),
        ("yunzhou-2020", 1),
    }


async def test_notices_are_given_in_every_campaign_by_its_own_deadlines() -> None:
    clock = Clock(datetime(2020, 11, 11, tzinfo=SHANGHAI))  # October's due time in both
    handlers = Handlers(lambda: TWO_CITIES, clock)
    uow, _ = new_uow()
    given = await handlers.give_due_notices(uow)
    assert await handlers.give_due_notices(uow) == []
    await uow.flush()
    overdue = {
        (e.data["campaign_id"], e.data["unit_id"], e.data["period"])
        for e in recorded(uow).events("LedgerOverdue")
    }
    assert ("yunzhou-2020", YUNZHOU_COUNTY, "2020-10") in overdue
    assert ("yunzhou-2020", "icbc", "2020-10") in overdue
    assert ("xinzhou-2020", "icbc", "2020-10") in overdue
    assert ("xinzhou-2020", "icbc", "2020-09") in overdue
    assert not any(c == "yunzhou-2020" and p == "2020-09" for c, _, p in overdue)
    missing = recorded(uow).events("SpecialReportMissing")
    assert {e.data["campaign_id"] for e in missing} == {"xinzhou-2020", "yunzhou-2020"}
    assert len(given) == len(overdue) + len(missing)
