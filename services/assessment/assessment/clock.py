"""The service's idea of now, in the campaign's zone (see shared.clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from assessment.settings import AssessmentSettings
from shared.clock import platform_clock
from shared.reference import ReferenceData


def clock(
    settings: AssessmentSettings, reference: Callable[[], ReferenceData]
) -> Callable[[], datetime]:
    return platform_clock(settings, reference().campaign.zone)
