"""Facts from other systems' events: banks' loans, matchmaking's pairings and fairs. Every
write is an idempotent bulk upsert, whatever order the events arrive in."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.domain.loans import LoanIssuance, LoanReversal, latest_by_loan
from roster.storage.tables import attendances, loans, matches
from shared.contracts.matchmaking import AttendanceRegistered, EnterpriseMatched


async def save_issuances(connection: AsyncConnection, issued: Sequence[LoanIssuance]) -> None:
    rows = [
        {
            "institution_id": i.institution_id,
            "loan_id": i.loan_id,
            "uscc": i.uscc,
            "enterprise_name": i.enterprise_name,
            "amount_wan": i.amount_wan,
            "issued_on": i.issued_on,
            "first_loan_attested": i.first_loan_attested,
        }
        for i in latest_by_loan(issued).values()
    ]
    if not rows:
        return
    statement = insert(loans).values(rows)
    # Only the issuance's columns: a reversal recorded earlier stays.
    issued_columns = ("uscc", "enterprise_name", "amount_wan", "issued_on", "first_loan_attested")
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["institution_id", "loan_id"],
            set_={name: statement.excluded[name] for name in issued_columns},
        )
    )


async def save_reversals(connection: AsyncConnection, reversed_: Sequence[LoanReversal]) -> None:
    rows = [
        {
            "institution_id": r.institution_id,
            "loan_id": r.loan_id,
            "reversed_on": r.reversed_on,
            "reversal_reason": r.reason,
        }
        for r in latest_by_loan(reversed_).values()
    ]
    if not rows:
        return
    statement = insert(loans).values(rows)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["institution_id", "loan_id"],
            set_={
                "reversed_on": statement.excluded.reversed_on,
                "reversal_reason": statement.excluded.reversal_reason,
            },
        )
    )


async def save_matches(connection: AsyncConnection, matched: Sequence[EnterpriseMatched]) -> None:
    if matched:
        await connection.execute(
            insert(matches)
            .values(
                [
                    {
                        "match_id": m.match_id,
                        "uscc": m.uscc,
                        "institution_id": m.institution_id,
                        "matched_on": m.matched_on,
                        "channel": m.channel.value,
                        "fair_id": m.fair_id,
                    }
                    for m in matched
                ]
            )
            .on_conflict_do_nothing()
        )


async def save_attendances(
    connection: AsyncConnection, attended: Sequence[AttendanceRegistered]
) -> None:
    rows = [
        {"fair_id": a.fair_id, "uscc": a.uscc, "county_code": a.county_code, "held_on": a.held_on}
        for a in attended
        if a.uscc is not None
    ]
    if rows:
        await connection.execute(insert(attendances).values(rows).on_conflict_do_nothing())
