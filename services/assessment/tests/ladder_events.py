"""The events the ladder's tests feed the handlers, built over the packaged reference data:
listings, pairings, loans (first loans and contradicted claims), ledgers and fairs, as their
consumers hand them over; and the handlers with the platform clock at noon of a day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from assessment.handlers import Handlers
from shared.consumer import Message
from shared.contracts.bank import LoanIssued
from shared.contracts.ledger import LedgerOverdue, LedgerSubmitted
from shared.contracts.matchmaking import EnterpriseMatched, FairScheduled
from shared.contracts.roster import EnterpriseListed
from shared.contracts.types import Guarantee
from shared.reference import load_reference
from shared.testing import message, sample_uscc

REFERENCE = load_reference()
ZONE = ZoneInfo("Asia/Shanghai")
# The policy bank has no target: its loans move a county's figures and no institution's
# finding, so a county's test is about that county alone.
POLICY_BANK = "adbc"
LISTED_ON = date(2020, 9, 2)
COUNTIES = frozenset(c.code for c in REFERENCE.counties)
INSTITUTIONS_WITH_TARGET = frozenset(
    i.id for i in REFERENCE.institutions if REFERENCE.targets_for_institution(i.id)
)
UNITS_WITH_TARGET = COUNTIES | INSTITUTIONS_WITH_TARGET


def handlers(on: date) -> Handlers:
    """The handlers with the platform clock at noon of `on`."""
    noon = datetime.combine(on, time(12), tzinfo=ZONE)
    return Handlers(lambda: REFERENCE, lambda: noon)


def usccs(county: str, count: int, tag: str) -> list[str]:
    return [sample_uscc(n, county=county, tag=tag) for n in range(1, count + 1)]


def listings(who: Sequence[str], county: str) -> list[Message[EnterpriseListed]]:
    return [
        message(EnterpriseListed(uscc=u, name="培植企业", county_code=county, listed_on=LISTED_ON))
        for u in who
    ]


def pairings(
    who: Sequence[str], on: date, institution: str = POLICY_BANK
) -> list[Message[EnterpriseMatched]]:
    return [
        message(
            EnterpriseMatched(
                match_id=f"M-{u}-{institution}",
                uscc=u,
                institution_id=institution,
                matched_on=on,
                channel="one_on_one",
            )
        )
        for u in who
    ]


def loan(
    uscc: str,
    loan_id: str,
    on: date,
    institution: str = POLICY_BANK,
    attested: bool = True,
) -> Message[LoanIssued]:
    return message(
        LoanIssued(
            loan_id=loan_id,
            institution_id=institution,
            uscc=uscc,
            enterprise_name="培植企业",
            amount_wan=Decimal("50"),
            issued_on=on,
            applied_on=on - timedelta(days=5),
            first_loan_attested=attested,
            annual_rate_pct=4.35,
            guarantee=Guarantee.CREDIT,
        ),
        source=f"urn:firstloan:institution:{institution}",
    )


def first_loans(
    who: Sequence[str], on: date, institution: str = POLICY_BANK
) -> list[Message[LoanIssued]]:
    return [loan(u, f"FL-{u}", on, institution) for u in who]


def overdue(unit_id: str, period: str) -> Message[LedgerOverdue]:
    """The month's ledger overdue from the end of its due day."""
    year, month = (int(part) for part in period.split("-"))
    due = REFERENCE.campaign.ledger_due_date(year, month)
    return message(
        LedgerOverdue(
            unit_id=unit_id,
            period=period,
            due_at=datetime.combine(due + timedelta(days=1), time(0), tzinfo=ZONE),
        )
    )


def submitted(unit_id: str, period: str, on: date) -> Message[LedgerSubmitted]:
    return message(
        LedgerSubmitted(
            unit_id=unit_id,
            period=period,
            version=1,
            row_count=3,
            credit_amount_wan=Decimal("100"),
            loan_amount_wan=Decimal("50"),
            submitted_at=datetime.combine(on, time(9), tzinfo=ZONE),
            late=True,
        )
    )


def fair(county: str, held_on: date) -> Message[FairScheduled]:
    return message(
        FairScheduled(
            fair_id=f"fair-{county}-{held_on.isoformat()}",
            county_code=county,
            title="首贷专场融资对接会",
            held_on=held_on,
        )
    )
