from __future__ import annotations

from pydantic import Field

from shared.workbooks import WorkbookUploadSettings


class LedgerSettings(WorkbookUploadSettings):
    service: str = "ledger"
    http_port: int = 8103
    # How often the deadline scheduler looks for overdue ledgers and missing reports.
    deadline_check_seconds: float = Field(default=60.0, gt=0)
