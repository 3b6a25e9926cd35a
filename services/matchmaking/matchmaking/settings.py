from __future__ import annotations

from shared.settings import ServiceSettings


class MatchmakingSettings(ServiceSettings):
    service: str = "matchmaking"
    http_port: int = 8102
