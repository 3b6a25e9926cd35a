from __future__ import annotations

from shared.settings import ServiceSettings


class RosterSettings(ServiceSettings):
    service: str = "roster"
    http_port: int = 8101
