"""The chaos load's inputs are what they claim: every valid record is accepted by the bank
intake, every bad one rejected for the reason it is marked with (so that `make chaos` can
hold the platform to exact figures)."""

from __future__ import annotations

from chaos.inputs import BAD_KINDS, BAD_MARK, BankRecord, Inputs
from shared.campaigns import load_campaigns
from shared.consumer import ConsumedRecord, Message
from shared.contracts import EventData
from shared.envelope import DeadLetterReason, Rejection
from shared.intake import check_bank_record

REFERENCE = load_campaigns().sole()


def judged(record: BankRecord) -> Message[EventData] | Rejection:
    topic = f"bank.{record.institution}.events"
    consumed = ConsumedRecord(topic, 0, 0, record.key, record.value, record.headers)
    return check_bank_record(consumed, REFERENCE)


def test_valid_records_are_accepted_and_bad_ones_rejected_for_their_reason() -> None:
    inputs = Inputs(REFERENCE, seed=13)
    for _ in range(50):
        for record in inputs.bank_events(inputs.nomination()):
            outcome = judged(record)
            assert isinstance(outcome, Message), outcome
            inputs.sent(record)
            assert record.event is not None
            assert record.event[:2] == outcome.envelope.dedup_key
        for reason in BAD_KINDS:
            bad = (
                inputs.conflicting()
                if reason is DeadLetterReason.CONFLICTING_DUPLICATE
                else inputs.bad(reason)
            )
            assert bad is not None
            assert dict(bad.headers)[BAD_MARK] == reason.value.encode()
            outcome = judged(bad)
            if reason is DeadLetterReason.CONFLICTING_DUPLICATE:
                # Valid on its own: only the inbox, which knows the original, refuses it.
                assert isinstance(outcome, Message)
                ids = [r.event[1] for r in inputs.loans if r.event and r.key == bad.key]
                assert outcome.envelope.id in ids
            else:
                assert isinstance(outcome, Rejection), (reason, outcome)
                assert outcome.reason is reason, (reason, outcome)


def test_bad_nominations_break_one_field() -> None:
    inputs = Inputs(REFERENCE, seed=13)
    good = inputs.nomination().body
    for _ in range(20):
        bad = inputs.bad_nomination()
        assert set(bad) != set(good) or [k for k in good if bad[k] != good[k]]
