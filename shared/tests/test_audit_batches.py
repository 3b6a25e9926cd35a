"""A consumed batch of bank records is audited with a row per partition (its offset range,
counts and the applied by type) and a row per dead letter, not a row per record."""

from __future__ import annotations

from shared.audit import BatchEntry
from shared.consumer import ConsumedRecord, Message, _batch_entries, _dead_letter_entries
from shared.contracts import EventData
from shared.envelope import DeadLetterReason, Envelope, Rejection

TOPIC = "bank.boc.events"
BOC = "urn:firstloan:institution:boc"


def record(partition: int, offset: int) -> ConsumedRecord:
    return ConsumedRecord(TOPIC, partition, offset, b"k", b"{}")


def message(type_: str, n: int) -> Message[EventData]:
    envelope = Envelope.model_validate(
        {
            "specversion": "1.0",
            "id": f"e-{n}",
            "source": BOC,
            "type": f"cn.firstloan.{type_}",
            "time": "2020-10-08T00:00:00Z",
            "data": {},
        }
    )
    return Message(envelope, EventData())


BROKEN = Rejection(reason=DeadLetterReason.INVALID_JSON, detail="no")


def test_a_row_per_partition_with_its_range_counts_and_types() -> None:
    records = [record(0, 10), record(0, 11), record(0, 12), record(2, 5), record(2, 6)]
    applied = [
        (records[0], message("LoanIssued", 1)),
        (records[2], message("CreditGranted", 2)),
        (records[3], message("LoanIssued", 3)),
    ]
    refused = [(records[1], BROKEN)]
    rows = _batch_entries("roster.bank", records, applied, refused)
    assert rows == [
        BatchEntry(
            "roster.bank",
            BOC,
            TOPIC,
            0,
            10,
            12,
            3,
            2,
            1,
            {"cn.firstloan.CreditGranted": 1, "cn.firstloan.LoanIssued": 1},
        ),
        BatchEntry("roster.bank", BOC, TOPIC, 2, 5, 6, 2, 1, 0, {"cn.firstloan.LoanIssued": 1}),
    ]
    assert rows[0].origin == f"{TOPIC}:0@10-12"
    assert rows[0].outcome == "applied 2, dead-lettered 1 (CreditGranted 1, LoanIssued 1)"
    [dead] = _dead_letter_entries(refused)
    assert (dead.actor, dead.action, dead.origin) == (f"topic:{TOPIC}", "record", f"{TOPIC}:0@11")
    assert dead.outcome == "dead-lettered: invalid_json"


def test_a_partition_where_nothing_happened_leaves_no_row() -> None:
    """Redeliveries of events already recorded (or types the consumer does not take)."""
    records = [record(1, 3), record(1, 4)]
    assert _batch_entries("roster.bank", records, [], []) == []


def test_a_partition_of_dead_letters_only_is_its_topics() -> None:
    records = [record(1, 3)]
    [row] = _batch_entries("roster.bank", records, [], [(records[0], BROKEN)])
    assert (row.actor, row.applied, row.dead_lettered, dict(row.by_type)) == (
        f"topic:{TOPIC}",
        0,
        1,
        {},
    )
    assert row.outcome == "applied 0, dead-lettered 1"
