"""The service's idea of now: the real time in the campaign's zone, or a fixed day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time

from assessment.settings import AssessmentSettings
from shared.reference import ReferenceData


def clock(
    settings: AssessmentSettings, reference: Callable[[], ReferenceData]
) -> Callable[[], datetime]:
    def now() -> datetime:
        zone = reference().campaign.zone
        if settings.clock_date is not None:
            return datetime.combine(settings.clock_date, time(12), zone)
        return datetime.now(zone)

    return now
