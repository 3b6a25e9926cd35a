"""Notices of escalations: which subscriptions a step reaches, grouping, silences, backoff,
and what a notice says."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment.domain.escalation import Changes, Finding, OpenEscalation
from assessment.domain.notices import (
    MARKDOWN_BYTES,
    REASON_WORDS,
    SEVERITY_WORDS,
    Channel,
    KnownEscalation,
    RetryPolicy,
    Silence,
    Step,
    StepKind,
    Subscription,
    notice_markdown,
    notices_for,
    steps_of,
)
from shared.contracts.assessment import EscalationReason, Severity

NOW = datetime(2020, 9, 30, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
AS_OF = date(2020, 9, 30)
XINFU, DINGXIANG = "140902", "140921"
UNDER, LEDGER = EscalationReason.UNDER_TARGET, EscalationReason.LEDGER_OVERDUE


def step(
    unit_id: str = XINFU,
    severity: Severity = Severity.TALK,
    reason: EscalationReason = UNDER,
    kind: StepKind = StepKind.RAISED,
    escalation_id: str | None = None,
) -> Step:
    level = "county" if unit_id.isdigit() else "institution"
    return Step(
        escalation_id or f"e-{unit_id}-{reason.value}",
        unit_id,
        level,
        reason,
        severity,
        kind,
        AS_OF,
        name="忻府区" if unit_id == XINFU else "",
    )


def subscription(
    subscription_id: str = "s1", county: str | None = None, **filters: Any
) -> Subscription:
    return Subscription(
        subscription_id, "supervisor:wang", county, Channel.EMAIL, "wang@example.org", **filters
    )


def silence(county: str | None = None, **what: Any) -> Silence:
    return Silence(
        "m1",
        "supervisor:li",
        county,
        NOW - timedelta(hours=1),
        NOW + timedelta(days=1),
        "休假",
        **what,
    )


SEVERITIES = st.sampled_from(list(Severity))
STEPS = st.builds(
    step,
    unit_id=st.sampled_from([XINFU, DINGXIANG, "icbc", "ccb"]),
    severity=SEVERITIES,
    reason=st.sampled_from(list(EscalationReason)),
    kind=st.sampled_from(list(StepKind)),
)


@given(STEPS)
def test_a_subscription_without_filters_hears_every_step(told: Step) -> None:
    assert subscription().matches(told)


@given(STEPS, SEVERITIES)
def test_a_minimum_severity_keeps_out_the_steps_below_it(told: Step, least: Severity) -> None:
    order = list(Severity)
    heard = subscription(min_severity=least).matches(told)
    assert heard == (order.index(told.severity) >= order.index(least))


def test_each_filter_narrows_what_a_subscription_hears() -> None:
    assert subscription(unit_id=XINFU).matches(step(XINFU))
    assert not subscription(unit_id=XINFU).matches(step(DINGXIANG))
    assert not subscription(level="institution").matches(step(XINFU))
    assert subscription(level="institution").matches(step("icbc"))
    assert not subscription(reason=LEDGER).matches(step(XINFU, reason=UNDER))
    assert subscription(reason=LEDGER).matches(step(XINFU, reason=LEDGER))


def test_the_steps_of_one_moment_reach_a_subscriber_as_one_notice() -> None:
    moment = [step(XINFU), step(DINGXIANG, Severity.CIRCULAR), step("icbc")]
    everything, xinfu_only = subscription("s1"), subscription("s2", unit_id=XINFU)
    notices = notices_for(moment, [everything, xinfu_only], [], NOW)
    assert [(n.subscription.subscription_id, len(n.steps), n.muted) for n in notices] == [
        ("s1", 3, False),
        ("s2", 1, False),
    ]


def test_a_step_given_twice_is_told_once() -> None:
    notices = notices_for([step(XINFU), step(XINFU)], [subscription()], [], NOW)
    assert len(notices) == 1
    assert len(notices[0].steps) == 1


def test_nothing_matched_is_no_notice() -> None:
    assert notices_for([step(DINGXIANG)], [subscription(unit_id=XINFU)], [], NOW) == []


def test_muted_steps_are_a_notice_of_their_own_marked_muted() -> None:
    moment = [step(XINFU), step(DINGXIANG)]
    notices = notices_for(moment, [subscription()], [silence(unit_id=XINFU)], NOW)
    assert [(n.muted, [s.unit_id for s in n.steps]) for n in notices] == [
        (False, [DINGXIANG]),
        (True, [XINFU]),
    ]


def test_a_silence_covers_its_reason_and_its_period_only() -> None:
    by_reason = silence(reason=LEDGER)
    assert by_reason.mutes(subscription(), step(reason=LEDGER), NOW)
    assert not by_reason.mutes(subscription(), step(reason=UNDER), NOW)
    assert not by_reason.mutes(subscription(), step(reason=LEDGER), NOW + timedelta(days=1))
    assert not by_reason.mutes(subscription(), step(reason=LEDGER), NOW - timedelta(hours=2))


def test_a_county_mutes_only_its_own_subscriptions_a_supervisor_mutes_all() -> None:
    county_silence, central_silence = silence(XINFU, unit_id=XINFU), silence(unit_id=XINFU)
    central, county = subscription(), subscription("s2", XINFU, unit_id=XINFU)
    assert not county_silence.mutes(central, step(XINFU), NOW)
    assert county_silence.mutes(county, step(XINFU), NOW)
    assert central_silence.mutes(central, step(XINFU), NOW)
    assert central_silence.mutes(county, step(XINFU), NOW)


def test_a_silence_names_something_and_ends_after_it_starts() -> None:
    with pytest.raises(ValueError, match="names a unit"):
        silence()
    with pytest.raises(ValueError, match="ends after"):
        Silence("m", "x", None, NOW, NOW, "why", unit_id=XINFU)


def test_steps_are_named_by_the_ladders_table() -> None:
    raised = Finding(XINFU, "county", UNDER, Severity.TALK, {"name": "忻府区"})
    upgraded = Finding("icbc", "institution", UNDER, Severity.CIRCULAR)
    was = OpenEscalation("e-icbc", "icbc", UNDER, Severity.TALK)
    resolved = OpenEscalation("e-ledger", DINGXIANG, LEDGER, Severity.WARNING)
    known = [
        KnownEscalation("e-old", XINFU, UNDER, "county", is_open=False),
        KnownEscalation("e-new", XINFU, UNDER, "county", is_open=True),
        KnownEscalation("e-ledger", DINGXIANG, LEDGER, "county", is_open=False, name="定襄县"),
    ]
    changes = Changes(raised=(raised,), upgraded=((was, upgraded),), resolved=(resolved,))
    steps = steps_of(changes, known, AS_OF)
    found = [(s.escalation_id, s.key, s.kind, s.level, s.name) for s in steps]
    assert found == [
        ("e-new", "talk", StepKind.RAISED, "county", "忻府区"),
        ("e-icbc", "circular", StepKind.UPGRADED, "institution", ""),
        ("e-ledger", "resolved", StepKind.RESOLVED, "county", "定襄县"),
    ]
    assert steps[1].previous_severity is Severity.TALK


@given(st.integers(min_value=1, max_value=10_000))
def test_backoff_doubles_from_the_first_wait_up_to_the_longest(attempts: int) -> None:
    policy = RetryPolicy(first_seconds=5, longest_seconds=600)
    assert policy.delay(1) == 5
    assert policy.delay(attempts) <= 600
    assert policy.delay(attempts + 1) == min(2 * policy.delay(attempts), 600)


def test_a_notice_is_given_up_once_old_enough() -> None:
    policy = RetryPolicy(give_up_seconds=3600)
    assert not policy.gives_up(3599)
    assert policy.gives_up(3600)
    with pytest.raises(ValueError, match="follows a failed attempt"):
        policy.delay(0)


@given(st.integers(min_value=1, max_value=300))
def test_a_notice_fits_a_group_robot_and_says_how_many_did_not(count: int) -> None:
    steps = [step(f"{140000 + n}") for n in range(count)]
    text = notice_markdown(steps)
    assert len(text.encode()) <= MARKDOWN_BYTES
    shown = text.count("\n- **")
    if shown < count:
        assert f"… {count - shown} more" in text
    else:
        assert "more" not in text


def test_a_notice_says_what_happened_strongest_first() -> None:
    text = notice_markdown([step(DINGXIANG, Severity.WARNING), step(XINFU, Severity.CIRCULAR)])
    lines = text.splitlines()
    assert lines[0].startswith("### 首贷培植行动督办")
    assert "2 raised" in lines[0]
    assert "通报 circular" in lines[1]
    assert "忻府区 (140902)" in lines[1]
    assert "预警 warning" in lines[2]
    assert DINGXIANG in lines[2]


def test_every_reason_and_severity_has_its_words() -> None:
    assert set(REASON_WORDS) == set(EscalationReason)
    assert set(SEVERITY_WORDS) == set(Severity)
