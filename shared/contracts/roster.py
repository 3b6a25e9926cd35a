"""Events of the roster service (the cultivation list), on `roster.events`, key = USCC
(`WhitelistPublished`, which concerns no one enterprise, is keyed `whitelist`, so that its
versions stay in order; a `NominationRejected` without a USCC is keyed by its nomination id)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import EventData
from shared.contracts.types import CampaignId, CountyCode, InstitutionId
from shared.validators import Uscc


class SizeClass(StrEnum):
    """The enterprise's size class (2011 size standard)."""

    SMALL = "small"  # 小型企业
    MICRO = "micro"  # 微型企业
    INDIVIDUAL = "individual"  # 个体工商户


class NominationSource(StrEnum):
    """Who screened and nominated the enterprise."""

    GOVERNMENT = "government"  # 经信、发改、商务、市场监管
    BANK = "bank"  # the bank's own screening
    SUPPLY_CHAIN = "supply_chain"  # upstream and downstream of a core client


class AssignmentWay(StrEnum):
    """How the enterprise came to be assigned to the institution."""

    NOMINATION = "nomination"  # a bank nominated it
    EXPLICIT = "explicit"  # the central sub-branch assigned it
    MATCH = "match"  # a pairing in matchmaking


class DelistReason(StrEnum):
    """Why an enterprise left the cultivation list."""

    CLOSED = "closed"  # 注销、停业
    INELIGIBLE = "ineligible"  # 不再符合条件
    WITHDRAWN = "withdrawn"  # 推荐单位撤回
    MOVED = "moved"  # 迁出本县（市）
    FIRST_LOAN_OBTAINED = "first_loan_obtained"  # 已获首贷, 培植完成
    OTHER = "other"


class EnterpriseNominated(EventData):
    """A nomination was received and accepted (listed or merged into an existing file)."""

    campaign_id: CampaignId = None

    nomination_id: str = Field(description="The nomination's id, given by roster.")
    uscc: Uscc = Field(description="Unified social credit code.")
    name: str = Field(description="Registered name.")
    county_code: CountyCode
    size_class: SizeClass = Field(description="Small, micro or individual business.")
    source: NominationSource = Field(description="Who nominated it.")
    nominated_by: str = Field(description="The nominating department or bank.")
    nominated_on: date = Field(description="The day of the nomination.")
    institution_id: InstitutionId | None = Field(
        default=None, description="For a bank's nomination: the bank (it is assigned to it)."
    )
    late: bool = Field(description="Nominated after the list deadline (dynamic adjustment).")


class EnterpriseListed(EventData):
    """An enterprise entered the cultivation list (培植名单)."""

    campaign_id: CampaignId = None

    uscc: Uscc = Field(description="Unified social credit code.", examples=["91110108551385082Q"])
    name: str = Field(min_length=1, description="Registered name.")
    county_code: CountyCode
    size_class: SizeClass | None = Field(default=None, description="Its size class, if known.")
    listed_on: date = Field(description="First day on the list.")


class RejectionCode(StrEnum):
    """Why a nomination was refused."""

    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    UNKNOWN_FIELD = "unknown_field"
    INVALID_USCC = "invalid_uscc"
    COUNTY_NOT_IN_CAMPAIGN = "county_not_in_campaign"
    SIZE_CLASS_NOT_ELIGIBLE = "size_class_not_eligible"
    SIZE_CONTRADICTED = "size_contradicted_by_figures"
    NOT_ATTESTED = "not_attested"
    NOMINATED_IN_FUTURE = "nominated_in_future"
    PRIOR_LOAN = "prior_loan"
    INSTITUTION_REQUIRED = "institution_required"
    UNKNOWN_INSTITUTION = "unknown_institution"


class RejectionReason(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: RejectionCode = Field(
        description="Stable machine-readable code.", examples=["invalid_uscc"]
    )
    field: str | None = Field(default=None, description="The input field at fault.")
    message_zh: str = Field(description="The reason in Chinese.")
    message_en: str = Field(description="The reason in English.")


class NominationRejected(EventData):
    """A nomination was refused, with every reason."""

    campaign_id: CampaignId = None

    nomination_id: str = Field(description="The nomination's id, given by roster.")
    uscc: str = Field(description="As given (it may be the invalid part).")
    name: str | None = Field(default=None, description="The name given, if any.")
    county_code: str | None = Field(default=None, description="The county given, if any.")
    nominated_by: str | None = Field(default=None, description="The nominator given, if any.")
    reasons: list[RejectionReason] = Field(min_length=1, description="Every reason it failed.")


class EnterpriseAssigned(EventData):
    """An enterprise was assigned to an institution for cultivation."""

    campaign_id: CampaignId = None

    uscc: Uscc = Field(description="Unified social credit code.")
    institution_id: InstitutionId = Field(description="The institution it is assigned to.")
    county_code: CountyCode
    assigned_on: date = Field(description="The day of the assignment.")
    way: AssignmentWay = Field(description="How it was assigned.")


class EnterpriseDelisted(EventData):
    """An enterprise left the list; it counts as listed up to the day before `on`."""

    campaign_id: CampaignId = None

    uscc: Uscc = Field(description="Unified social credit code.")
    county_code: CountyCode
    on: date = Field(description="The first day off the list.")
    reason: DelistReason = Field(description="Why it left the list.")


class WhitelistPublished(EventData):
    """A version of the whitelist was published to banks and guarantee companies."""

    campaign_id: CampaignId = None

    version: int = Field(ge=1, description="1 for the first whitelist, one more per version.")
    published_at: datetime = Field(description="When it was published.")
    total: int = Field(ge=0, description="Enterprises on it.")
    by_county: dict[str, int] = Field(description="Enterprises on it per county code.")
    by_institution: dict[str, int] = Field(
        description="Enterprises on it per assigned institution id."
    )
