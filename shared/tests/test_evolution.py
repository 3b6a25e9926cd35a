"""The evolution policy (docs/architecture.md): history recorded before a field was added
replays into today's readers, and an event from a newer producer is read by an older one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pydantic import Field

from shared.consumer import ConsumedRecord, Message, accept_events
from shared.contracts import EventData, assessment, bank, ledger, matchmaking, roster
from shared.contracts.roster import EnterpriseListed
from shared.envelope import new_event, to_structured
from shared.testing import sample_uscc

USCC = sample_uscc(1, tag="EW")


class EnterpriseListedLater(EnterpriseListed):
    """`EnterpriseListed` as a later version might publish it: one optional field more."""

    nominated_by: str | None = Field(default=None, description="Who nominated it.")

    @classmethod
    def event_name(cls) -> str:
        return "EnterpriseListed"


def record(data: Mapping[str, object]) -> ConsumedRecord:
    event = new_event("EnterpriseListed", "urn:firstloan:roster", dict(data))
    value, headers = to_structured(event)
    return ConsumedRecord("roster.events", 0, 0, USCC.encode(), value, tuple(headers))


OLD_HISTORY = {
    "uscc": USCC,
    "name": "忻府区示例",
    "county_code": "140902",
    "listed_on": "2020-09-05",
}


def test_history_recorded_before_a_field_was_added_replays_with_its_default() -> None:
    accepted = accept_events([EnterpriseListedLater])(record(OLD_HISTORY))
    assert isinstance(accepted, Message)
    assert isinstance(accepted.payload, EnterpriseListedLater)
    assert accepted.payload.nominated_by is None
    assert accepted.payload.listed_on == date(2020, 9, 5)


def test_an_event_of_a_newer_producer_is_read_by_todays_reader() -> None:
    newer = {**OLD_HISTORY, "nominated_by": "忻府区工信局", "listing_note": "added in v3"}
    accepted = accept_events([EnterpriseListed])(record(newer))
    assert isinstance(accepted, Message)
    assert accepted.payload == EnterpriseListed.model_validate(OLD_HISTORY)


def test_every_platform_event_ignores_unknown_fields() -> None:
    def models(base: type[EventData]) -> list[type[EventData]]:
        return [m for sub in base.__subclasses__() for m in (sub, *models(sub))]

    modules = (assessment, bank, ledger, matchmaking, roster)  # all of them, so all are defined
    assert all(m.__name__.startswith("shared.contracts.") for m in modules)
    found = models(EventData)
    assert len(found) > 10
    assert all(m.model_config.get("extra") == "ignore" for m in found)
