from __future__ import annotations

from shared.settings import ServiceSettings


class LedgerSettings(ServiceSettings):
    service: str = "ledger"
    http_port: int = 8103
