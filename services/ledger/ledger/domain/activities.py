"""Special information reports (专题信息) and publicity activities (宣讲会、培训、宣传月活动)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from ledger.domain.periods import Month


class ReportCategory(StrEnum):
    PUBLICITY_SUMMARY = "publicity_summary"  # 宣传活动总结
    ASSISTANCE_SUMMARY = "assistance_summary"  # 帮扶活动总结
    EXPERIENCE = "experience"  # 经验做法
    INNOVATIVE_PRODUCT = "innovative_product"  # 创新产品
    TYPICAL_CASE = "typical_case"  # 典型案例


class PublicityKind(StrEnum):
    BRIEFING = "briefing"  # 首贷专题宣讲会
    TRAINING = "training"  # 培训
    PUBLICITY_MONTH = "publicity_month"  # 宣传月活动 (金融知识普及月、征信宣传月...)
    OTHER = "other"


PUBLICITY_KIND_ZH = {
    PublicityKind.BRIEFING: "宣讲会",
    PublicityKind.TRAINING: "培训",
    PublicityKind.PUBLICITY_MONTH: "宣传月活动",
    PublicityKind.OTHER: "其他宣传活动",
}


@dataclass(frozen=True)
class SpecialReport:
    """A special information report (专题信息) of a reporting unit's month in a campaign."""

    report_id: str
    campaign_id: str
    unit_id: str
    month: Month
    category: ReportCategory
    title: str
    body: str
    reported_at: datetime


@dataclass(frozen=True)
class PublicityActivity:
    """A publicity activity a county held; its month is that of the campaign's ledger it is
    summed in."""

    activity_id: str
    campaign_id: str
    county_code: str
    month: Month
    held_on: date
    kind: PublicityKind
    title: str
    participants: int
    enterprises: int
    institution_ids: tuple[str, ...]
    organizer: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class PublicitySummary:
    activities: int
    participants: int
    enterprises: int
    by_kind: dict[str, int]


def summarize(activities: Iterable[PublicityActivity]) -> PublicitySummary:
    items = list(activities)
    by_kind = {kind.value: sum(1 for a in items if a.kind is kind) for kind in PublicityKind}
    return PublicitySummary(
        activities=len(items),
        participants=sum(a.participants for a in items),
        enterprises=sum(a.enterprises for a in items),
        by_kind={kind: count for kind, count in by_kind.items() if count},
    )
