"""What the API asks the ledger to do: built from a checked request, given to `Handlers`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.domain.activities import PublicityKind, ReportCategory
from ledger.domain.periods import Month
from ledger.reporting_units import ReportingUnit


@dataclass(frozen=True)
class SubmitLedger:
    """Freeze the reporting unit's month as its next version; `reason` for a resubmission."""

    reporting_unit: ReportingUnit
    month: Month
    reason: str | None = None


@dataclass(frozen=True)
class RecordReport:
    reporting_unit: ReportingUnit
    month: Month
    category: ReportCategory
    title: str
    body: str


@dataclass(frozen=True)
class RecordActivity:
    county: ReportingUnit
    held_on: date
    kind: PublicityKind
    title: str
    participants: int
    enterprises: int
    institution_ids: tuple[str, ...]
    organizer: str | None


@dataclass(frozen=True)
class CheckUpload:
    """Compare a hand-kept ledger (its rows as read from the workbook, numbered as Excel
    shows them) with the ledger built from events. Nothing is stored."""

    reporting_unit: ReportingUnit
    month: Month
    rows: Sequence[tuple[int, Mapping[str, Any]]]
