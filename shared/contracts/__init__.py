"""The `data` of every CloudEvent on the platform: one pydantic model per event type.

Type names are `cn.firstloan.<ClassName>`. Bank events (`bank.py`) are what bank core systems
publish (contract §3); the others are what the services tell one another. Each field carries
a description, so that the AsyncAPI and OpenAPI documents explain themselves.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class EventData(BaseModel):
    """Platform events are ours: an unknown field is a bug, so it is refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def event_name(cls) -> str:
        return cls.__name__
