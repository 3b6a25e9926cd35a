"""What the API and the service's own loop ask the handlers to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RunCheckpoint:
    """Assess every unit as of `as_of` and move the ladder (once per checkpoint day)."""

    as_of: date


@dataclass(frozen=True)
class KeepUpToDate:
    """The daily tick: re-evaluate on a new day; run the checkpoints whose day has come."""

    run_checkpoints: bool
