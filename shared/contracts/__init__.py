"""The `data` of every CloudEvent on the platform: one pydantic model per event type.

Type names are `cn.firstloan.<ClassName>`. Bank events (`bank.py`) are what bank core systems
publish (contract §3); the others are what the services tell one another. Each field carries
a description, so that the AsyncAPI and OpenAPI documents explain themselves.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class EventData(BaseModel):
    """Topics keep their history forever and `rebuild` replays it, so an event type may only
    grow: a new field is optional (or has a default), and a reader ignores fields it does not
    know (an event written by a newer producer, read by an older consumer). A change that
    would alter a field's meaning or remove a required one is a new type
    (`cn.firstloan.<Name>V2`), consumed beside the old one. See docs/architecture.md."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def event_name(cls) -> str:
        return cls.__name__
