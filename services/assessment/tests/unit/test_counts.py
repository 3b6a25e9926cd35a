"""Counts kept up to date from the enterprises each batch touched equal the counts of every
enterprise counted from scratch, whatever the batches and their order (hypothesis)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.domain.counts import REGION, CountKey, Measure, change, counted
from assessment.domain.facts import ListingChange, Loan, Reversal
from assessment.domain.first_loan import CampaignWindow, EnterpriseOutcome, evaluate
from assessment.domain.history import Fact, facts_by_enterprise
from shared.reference import load_reference

from ..facts_strategy import DAYS, FACTS, replayed

REFERENCE = load_reference()
WINDOW = CampaignWindow(REFERENCE.campaign.start, REFERENCE.campaign.end, 5)


def touched_by(batch: list[Fact], known: list[Fact]) -> set[str]:
    """The batch's enterprises, and those of stored copies of the loans it names (a copy
    that now counts instead may name another enterprise), as the loan handler finds them."""
    keys = {f.key for f in batch if isinstance(f, Loan | Reversal)}
    return {f.uscc for f in batch if not isinstance(f, Reversal)} | {
        f.uscc for f in known if isinstance(f, Loan) and f.key in keys
    }


@settings(max_examples=300)
@given(st.data(), FACTS, DAYS)
def test_counts_moved_batch_by_batch_equal_counting_everything(
    data: st.DataObject, facts: list[Fact], day: date
) -> None:
    arrived = replayed(data, facts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(arrived)), max_size=6)))
    stored: dict[str, EnterpriseOutcome] = {}
    counts: Counter[CountKey] = Counter()
    known: list[Fact] = []
    for start, end in zip([0, *cuts], [*cuts, len(arrived)], strict=True):
        batch = arrived[start:end]
        touched = touched_by(batch, known)
        known += batch
        every = facts_by_enterprise(known)
        after = [evaluate(every[u], WINDOW, day) for u in touched if u in every]
        counts.update(change([stored[u] for u in touched if u in stored], after))
        stored |= {o.uscc: o for o in after}
    everything = [evaluate(f, WINDOW, day) for f in facts_by_enterprise(facts).values()]
    assert {k: n for k, n in counts.items() if n} == dict(counted(everything))


def test_a_first_loan_moves_the_region_county_and_issuer_and_nothing_else() -> None:
    who = "91140902MA0000001X"
    listed = ListingChange(who, date(2020, 9, 2), True, "140902")
    day = date(2020, 12, 31)
    before = evaluate(facts_by_enterprise([listed])[who], WINDOW, day)
    loan = Loan("icbc", "L1", who, date(2020, 10, 1), True)
    after = evaluate(facts_by_enterprise([listed, loan])[who], WINDOW, day)
    assert change([before], [after]) == {
        (Measure.FIRST_LOANS, REGION, ""): 1,
        (Measure.FIRST_LOANS, "county", "140902"): 1,
        (Measure.FIRST_LOANS, "institution", "icbc"): 1,
    }
    assert change([after], [after]) == {}
