"""When an enterprise is on the cultivation list (contract §5 rule 1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ListingInterval:
    """Listed from `listed_on` up to the day before `delisted_on` (open while None)."""

    uscc: str
    county_code: str
    listed_on: date
    delisted_on: date | None = None

    def covers(self, day: date) -> bool:
        return self.listed_on <= day and (self.delisted_on is None or day < self.delisted_on)
