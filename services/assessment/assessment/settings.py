from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    service: str = "assessment"
    http_port: int = 8104
    run_checkpoints: bool = Field(
        default=True, description="Run each checkpoint by itself once its date has come."
    )
    ledger_url: str = Field(
        default="http://127.0.0.1:8103", description="The ledger service, for the dashboard."
    )
    dashboard_heartbeat_seconds: float = Field(
        default=15.0, gt=0, description="How often the live feed tells browsers it is alive."
    )
    tick_seconds: float = Field(default=60.0, gt=0, description="How often the day is checked.")
    document_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        gt=0,
        description="The largest document (talk minutes, an issued circular) accepted.",
    )
