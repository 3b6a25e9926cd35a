"""The platform's event catalogue: every event type of the contracts and every topic the
platform creates, every field explained, closed sets as enums, and a page that reads
without any other host."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator

from pydantic import BaseModel

import shared.contracts
from shared.asyncapi import DEAD_LETTER_MESSAGE, TOPICS, document, event_types, page
from shared.campaigns import load_campaigns
from shared.contracts import EventData
from shared.reference import PACKAGED_REFERENCE_FILE
from shared.topics import platform_topics


def contract_models() -> Iterator[type[BaseModel]]:
    """Every model of shared.contracts: the events and the objects inside them."""
    for module in pkgutil.iter_modules(shared.contracts.__path__):
        importlib.import_module(f"shared.contracts.{module.name}")

    def below(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
        for sub in model.__subclasses__():
            if sub.__module__.startswith("shared.contracts"):
                yield sub
            yield from below(sub)

    yield from below(BaseModel)


def test_every_field_of_every_event_is_described() -> None:
    models = list(contract_models())
    assert EventData in models
    undescribed = [
        f"{model.__name__}.{name}"
        for model in models
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert undescribed == []


def test_every_event_type_of_the_contracts_is_on_a_topic_of_the_document() -> None:
    events = {m for m in contract_models() if issubclass(m, EventData) and m.__doc__}
    published = {m for topic in TOPICS for m in topic.events}
    abstract = {m for m in events if m.__subclasses__()}
    assert events - abstract - published == set()
    assert set(document()["components"]["messages"]) == {m.event_name() for m in published} | {
        DEAD_LETTER_MESSAGE
    }


def test_every_topic_the_platform_creates_is_a_channel_of_the_document() -> None:
    channels = document()["channels"].values()
    # A parameter stands for any institution: `bank.{institution_id}.events`.
    addresses = [
        re.escape(channel["address"]).replace(re.escape("{institution_id}"), r"[^.]+")
        for channel in channels
    ]
    topics = [spec.name for spec in platform_topics(load_campaigns(PACKAGED_REFERENCE_FILE))]
    unlisted = [t for t in topics if not any(re.fullmatch(a, t) for a in addresses)]
    assert unlisted == []
    assert {"bank.icbc.events", "platform.deadletter"} <= set(topics)
    declared = [c for c in channels if "{institution_id}" in c["address"]]
    assert [set(c["parameters"]) for c in declared] == [{"institution_id"}]


def test_bank_events_are_documented_as_the_intake_accepts_them() -> None:
    spec = document()
    schemas = spec["components"]["schemas"]
    assert {"CreditGranted", "CreditDeclined", "LoanIssued", "LoanReversed"} <= set(schemas)
    assert schemas["CreditGranted"]["properties"]["amount_wan"]["type"] == "string"
    bank = spec["channels"]["bankEvents"]
    assert bank["address"] == "bank.{institution_id}.events"
    assert set(bank["messages"]) == {
        "CreditGranted",
        "CreditDeclined",
        "LoanIssued",
        "LoanReversed",
    }
    assert "dlq_reason" in spec["info"]["description"]


def test_status_like_fields_are_closed_sets() -> None:
    schemas = document()["components"]["schemas"]
    status = schemas["AttainmentUpdated"]["properties"]["status"]
    assert schemas[status["$ref"].rsplit("/", 1)[-1]]["enum"][:2] == ["no_target", "not_started"]
    reason = schemas["EnterpriseDelisted"]["properties"]["reason"]
    assert "first_loan_obtained" in schemas[reason["$ref"].rsplit("/", 1)[-1]]["enum"]
    dead_letter = schemas["DeadLetterHeaders"]["properties"]["dlq_reason"]
    assert {"invalid_data", "unmappable"} <= set(
        schemas[dead_letter["$ref"].rsplit("/", 1)[-1]]["enum"]
    )


def test_the_page_reads_offline_and_lists_every_event_type() -> None:
    html = page()
    assert re.findall(r"(?:https?:)?//[\w.-]+", html) == []
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    for event_type in event_types():
        assert f"<code>{event_type}</code>" in html
    assert "Why the loan is withdrawn (free text)." in html  # a field's description
    assert "<code>platform.deadletter</code>" in html
    assert "<code>dlq_offset</code>" in html
