"""The platform's event catalogue: every field of every event explained, closed sets as
enums, and a page that reads without any other host."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator

from pydantic import BaseModel

import shared.contracts
from matchmaking.asyncapi import TOPICS, document, event_types, page
from shared.contracts import EventData


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


def test_every_event_type_is_on_a_topic_of_the_document() -> None:
    events = {m for m in contract_models() if issubclass(m, EventData) and m.__doc__}
    published = {m for topic in TOPICS for m in topic.events}
    abstract = {m for m in events if m.__subclasses__()}
    assert events - abstract - published == set()
    assert set(document()["components"]["messages"]) == {m.event_name() for m in published}


def test_status_like_fields_are_closed_sets() -> None:
    schemas = document()["components"]["schemas"]
    status = schemas["AttainmentUpdated"]["properties"]["status"]
    assert schemas[status["$ref"].rsplit("/", 1)[-1]]["enum"][:2] == ["no_target", "not_started"]
    reason = schemas["EnterpriseDelisted"]["properties"]["reason"]
    assert "first_loan_obtained" in schemas[reason["$ref"].rsplit("/", 1)[-1]]["enum"]


def test_the_page_reads_offline_and_lists_every_event_type() -> None:
    html = page()
    assert re.findall(r"(?:https?:)?//[\w.-]+", html) == []
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    for event_type in event_types():
        assert f"<code>{event_type}</code>" in html
    assert "Why the loan is withdrawn (free text)." in html  # a field's description
