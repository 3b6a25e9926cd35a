"""The handler over the in-memory store: contract events on the bank's topic with the
institution's source, Fineract's order whatever the reading order, and what is counted."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from fineract.consumers import accept_fineract
from fineract.domain.mapping import APPROVED, DISBURSED, FineractMapping
from fineract.handlers import Handlers
from fineract.testing import instance, loan, message, schemas
from fineract.translated import TranslatedMessage
from shared.consumer import ConsumedRecord, Message
from shared.envelope import Rejection
from shared.testing import recorded, sample_uscc, unit_of_work_over

from .fakes import InMemoryStore

MAPPING = FineractMapping(instances=[instance()])
ACCEPT = accept_fineract(MAPPING, schemas(), {})
TOPIC = "fineract.xzrcu.external-events"


def accepted(value: bytes, offset: int = 0) -> Message[TranslatedMessage]:
    outcome = ACCEPT(ConsumedRecord(TOPIC, 0, offset, b"\x00" * 8, value))
    assert isinstance(outcome, Message)
    assert isinstance(outcome.payload, TranslatedMessage)
    return outcome  # type: ignore[return-value]


def loan_messages(count: int) -> list[Message[TranslatedMessage]]:
    return [
        accepted(
            message(
                DISBURSED if n % 2 else APPROVED,
                loan(
                    n,
                    sample_uscc(n, tag="FH"),
                    approvedOnDate="2020-10-12",
                    actualDisbursementDate="2020-10-15",
                ),
                message_id=n,
                key=f"key-{n}",
            )
        )
        for n in range(1, count + 1)
    ]


MESSAGES = loan_messages(6)


def test_events_go_to_the_banks_topic_as_the_bank_would_send_them() -> None:
    store = InMemoryStore()
    uow = unit_of_work_over(store)
    asyncio.run(Handlers().apply_fineract_events(uow, MESSAGES[:2]))
    asyncio.run(uow.flush())
    records = recorded(uow).records
    assert {r.topic for r in records} == {"bank.xzrcu.events"}
    events = recorded(uow).events()
    assert [(e.id, e.name, e.source) for e in events] == [
        ("key-1", "LoanIssued", "urn:firstloan:institution:xzrcu"),
        ("key-2", "CreditGranted", "urn:firstloan:institution:xzrcu"),
    ]
    assert [r.key for r in records] == [
        sample_uscc(1, tag="FH").encode(),
        sample_uscc(2, tag="FH").encode(),
    ]
    assert events[0].subject == sample_uscc(1, tag="FH")


@given(st.permutations(MESSAGES))
def test_events_are_published_in_fineract_order_whatever_the_reading_order(
    shuffled: list[Message[TranslatedMessage]],
) -> None:
    store = InMemoryStore()
    uow = unit_of_work_over(store)
    asyncio.run(Handlers().apply_fineract_events(uow, shuffled))
    asyncio.run(uow.flush())
    assert [e.id for e in recorded(uow).events()] == [f"key-{n}" for n in range(1, 7)]
    [progress] = asyncio.run(store.tallies.all())[1]
    assert (progress.messages, progress.last_message_id) == (6, 6)


@given(st.lists(st.sampled_from(MESSAGES), min_size=1, max_size=12))
def test_tallies_count_what_each_message_became(chosen: list[Message[TranslatedMessage]]) -> None:
    store = InMemoryStore()
    uow = unit_of_work_over(store)
    asyncio.run(Handlers().apply_fineract_events(uow, chosen))
    tallies, [progress] = asyncio.run(store.tallies.all())
    counted = {(t.outcome, t.event_type): t.count for t in tallies}
    issued = sum(1 for m in chosen if m.payload.message_id % 2)
    assert counted.get(("published", "LoanIssued"), 0) == issued
    assert counted.get(("published", "CreditGranted"), 0) == len(chosen) - issued
    assert progress.last_message_id == max(m.payload.message_id for m in chosen)


def test_a_skipped_type_is_counted_and_publishes_nothing() -> None:
    store = InMemoryStore()
    uow = unit_of_work_over(store)
    skipped = accepted(message("LoanUndoApprovalBusinessEvent", loan(9, sample_uscc(9, tag="FH"))))
    asyncio.run(Handlers().apply_fineract_events(uow, [skipped]))
    asyncio.run(uow.flush())
    assert recorded(uow).records == []
    tallies, _ = asyncio.run(store.tallies.all())
    assert [(t.outcome, t.event_type, t.count) for t in tallies] == [
        ("skipped", "LoanUndoApprovalBusinessEvent", 1)
    ]


def test_a_redelivered_message_has_the_same_inbox_key_and_content() -> None:
    value = message(APPROVED, loan(3, sample_uscc(3, tag="FH"), approvedOnDate="2020-10-12"))
    first, again = accepted(value, offset=1), accepted(value, offset=9)
    assert first.envelope.dedup_key == again.envelope.dedup_key
    assert first.envelope.dedup_key[0] == "urn:fineract:fineract.xzrcu.external-events:default"
    assert first.envelope.fingerprint == again.envelope.fingerprint


def test_records_are_rejected_with_the_reason() -> None:
    corrupt = ACCEPT(ConsumedRecord(TOPIC, 0, 1, None, b"\xc3\x01garbage!!"))
    assert isinstance(corrupt, Rejection)
    assert corrupt.reason == "undecodable"
    unmapped = ACCEPT(
        ConsumedRecord(TOPIC, 0, 2, None, message(APPROVED, loan(4, None), tenant="other"))
    )
    assert isinstance(unmapped, Rejection)
    assert (unmapped.reason, unmapped.detail) == (
        "unmappable",
        f"no instance in the mapping for topic {TOPIC!r}, tenant 'other'",
    )
    no_uscc = ACCEPT(ConsumedRecord(TOPIC, 0, 3, None, message(APPROVED, loan(4, None))))
    assert isinstance(no_uscc, Rejection)
    assert no_uscc.reason == "unmappable"
    assert "no USCC" in no_uscc.detail
