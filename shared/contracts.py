"""Platform events: the `data` of each CloudEvent the services publish to one another.

Type names are `cn.firstloan.<ClassName>`; each model documents its fields, so the AsyncAPI
document generated from the subscribers explains itself.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from shared.validators import Uscc


class EventData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def event_name(cls) -> str:
        return cls.__name__


class EnterpriseListed(EventData):
    """An enterprise entered the cultivation list (培植名单)."""

    uscc: Uscc = Field(description="Unified social credit code.", examples=["91110108551385082Q"])
    name: str = Field(min_length=1, description="Registered name.")
    county_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 county code.")
    listed_on: date = Field(description="First day on the list.")


class EnterpriseDelisted(EventData):
    """An enterprise left the cultivation list; it is listed up to the day before `on`."""

    uscc: Uscc
    county_code: str = Field(pattern=r"^\d{6}$")
    on: date
    reason: str = Field(min_length=1)
