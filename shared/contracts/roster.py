"""Events of the roster service (the cultivation list), on `roster.events`, key = USCC
(`WhitelistPublished`, which concerns no one enterprise, is keyed `whitelist`, so that its
versions stay in order; a `NominationRejected` without a USCC is keyed by its nomination id)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import EventData
from shared.contracts.types import CountyCode, InstitutionId
from shared.validators import Uscc


class SizeClass(StrEnum):
    SMALL = "small"  # 小型企业
    MICRO = "micro"  # 微型企业
    INDIVIDUAL = "individual"  # 个体工商户


class NominationSource(StrEnum):
    GOVERNMENT = "government"  # 经信、发改、商务、市场监管
    BANK = "bank"  # the bank's own screening
    SUPPLY_CHAIN = "supply_chain"  # upstream and downstream of a core client


class AssignmentWay(StrEnum):
    NOMINATION = "nomination"  # a bank nominated it
    EXPLICIT = "explicit"  # the central sub-branch assigned it
    MATCH = "match"  # a pairing in matchmaking


class EnterpriseNominated(EventData):
    """A nomination was received and accepted (listed or merged into an existing file)."""

    nomination_id: str
    uscc: Uscc
    name: str
    county_code: CountyCode
    size_class: SizeClass
    source: NominationSource
    nominated_by: str = Field(description="The nominating department or bank.")
    nominated_on: date
    institution_id: InstitutionId | None = None
    late: bool = Field(description="Nominated after the list deadline (dynamic adjustment).")


class EnterpriseListed(EventData):
    """An enterprise entered the cultivation list (培植名单)."""

    uscc: Uscc = Field(description="Unified social credit code.", examples=["91110108551385082Q"])
    name: str = Field(min_length=1, description="Registered name.")
    county_code: CountyCode
    size_class: SizeClass | None = None
    listed_on: date = Field(description="First day on the list.")


class RejectionReason(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable machine-readable code.", examples=["invalid_uscc"])
    field: str | None = Field(default=None, description="The input field at fault.")
    message_zh: str
    message_en: str


class NominationRejected(EventData):
    """A nomination was refused, with every reason."""

    nomination_id: str
    uscc: str = Field(description="As given (it may be the invalid part).")
    name: str | None = None
    county_code: str | None = None
    nominated_by: str | None = None
    reasons: list[RejectionReason] = Field(min_length=1)


class EnterpriseAssigned(EventData):
    """An enterprise was assigned to an institution for cultivation."""

    uscc: Uscc
    institution_id: InstitutionId
    county_code: CountyCode
    assigned_on: date
    way: AssignmentWay


class EnterpriseDelisted(EventData):
    """An enterprise left the list; it counts as listed up to the day before `on`."""

    uscc: Uscc
    county_code: CountyCode
    on: date
    reason: str = Field(min_length=1, examples=["closed", "ineligible", "withdrawn", "moved"])


class WhitelistPublished(EventData):
    """A version of the whitelist was published to banks and guarantee companies."""

    version: int = Field(ge=1)
    published_at: datetime
    total: int = Field(ge=0)
    by_county: dict[str, int]
    by_institution: dict[str, int]
