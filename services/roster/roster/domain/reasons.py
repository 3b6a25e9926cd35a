"""Why a nomination is refused: stable codes, each with a message in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ReasonCode(StrEnum):
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


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    field: str | None
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        """As the API, the file and `NominationRejected` give it."""
        return {
            "code": self.code.value,
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


def missing(field: str) -> Reason:
    return Reason(ReasonCode.MISSING_FIELD, field, f"缺少必填项 {field}", f"{field} is required")


def invalid(field: str, detail: str) -> Reason:
    return Reason(
        ReasonCode.INVALID_FIELD, field, f"{field} 格式不正确：{detail}", f"{field}: {detail}"
    )


def unknown_field(field: str) -> Reason:
    return Reason(
        ReasonCode.UNKNOWN_FIELD, field, f"未知字段 {field}", f"{field} is not a nomination field"
    )
