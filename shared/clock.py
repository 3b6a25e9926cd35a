"""The services' notion of now: the real time, a fixed day, or a day read from a file that
a demo advances. Every service takes its clock from here, so they agree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from shared.settings import ServiceSettings

Clock = Callable[[], datetime]
NOON = time(12)


def platform_clock(settings: ServiceSettings, zone: ZoneInfo) -> Clock:
    if settings.clock_file is not None:
        return _file_clock(settings.clock_file, zone)
    fixed = settings.clock_date
    if fixed is not None:
        return lambda: datetime.combine(fixed, NOON, zone)
    return lambda: datetime.now(UTC).astimezone(zone)


def _file_clock(path: Path, zone: ZoneInfo) -> Clock:
    """Noon of the file's date; the real time when the file is missing or unreadable."""

    def now() -> datetime:
        try:
            day = date.fromisoformat(path.read_text().strip())
        except (OSError, ValueError):
            return datetime.now(UTC).astimezone(zone)
        return datetime.combine(day, NOON, zone)

    return now
