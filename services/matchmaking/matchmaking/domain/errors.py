"""Matchmaking's domain errors: each names a rule the request broke."""

from __future__ import annotations


class MatchmakingError(Exception):
    """A request that breaks a matchmaking rule; `field` names the input at fault."""

    field: str = "(body)"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class UnknownFairError(MatchmakingError):
    field = "fair_id"


class FairRequiredError(MatchmakingError):
    field = "fair_id"


class ProductMismatchError(MatchmakingError):
    field = "product_id"


class TooManyProductsError(MatchmakingError):
    """An institution offers at most a few flagship first-loan products (拳头产品)."""
