from __future__ import annotations

from shared.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    service: str = "assessment"
    http_port: int = 8104
