from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class LedgerSettings(ServiceSettings):
    service: str = "ledger"
    http_port: int = 8103
    # How often the deadline scheduler looks for overdue ledgers and missing reports.
    deadline_check_seconds: float = Field(default=60.0, gt=0)
    # Largest hand-kept ledger accepted for upload.
    upload_max_bytes: int = Field(default=5_000_000, gt=0)
