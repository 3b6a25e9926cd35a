from __future__ import annotations

from pathlib import Path

from roster.domain.size_standard import STANDARD_2011_FILE
from shared.workbooks import WorkbookUploadSettings


class RosterSettings(WorkbookUploadSettings):
    service: str = "roster"
    http_port: int = 8101
    # The size classification standard (dated, versioned TOML); operators may point elsewhere.
    size_standard_file: Path = STANDARD_2011_FILE
