from __future__ import annotations

from datetime import date

from pydantic import Field

from shared.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    service: str = "assessment"
    http_port: int = 8104
    clock_date: date | None = Field(
        default=None, description="A fixed 'today' (demos, tests); the real date when unset."
    )
    run_checkpoints: bool = Field(
        default=True, description="Run each checkpoint by itself once its date has come."
    )
    tick_seconds: float = Field(default=60.0, gt=0, description="How often the day is checked.")
