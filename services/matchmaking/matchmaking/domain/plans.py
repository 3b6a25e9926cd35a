"""Cultivation plans (一企一策) and products (首贷拳头产品)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from matchmaking.domain.errors import MatchmakingError, TooManyProductsError
from shared.contracts.types import Guarantee, Problem

MAX_FLAGSHIP_PRODUCTS = 2  # 打造 1-2 个拳头产品作为首贷主打品


@dataclass(frozen=True)
class Plan:
    uscc: str
    institution_id: str
    responsible_person: str
    problems: tuple[Problem, ...]
    measures: tuple[str, ...]
    follow_up_dates: tuple[date, ...] = ()
    plan_id: str = ""
    version: int = 0

    def same_content(self, other: Plan) -> bool:
        return (
            self.institution_id,
            self.responsible_person,
            self.problems,
            self.measures,
            self.follow_up_dates,
        ) == (
            other.institution_id,
            other.responsible_person,
            other.problems,
            other.measures,
            other.follow_up_dates,
        )


def revise(current: Plan | None, proposed: Plan) -> Plan | None:
    """The next version of the enterprise's plan, or None when nothing changed."""
    if current is not None and current.same_content(proposed):
        return None
    plan_id = current.plan_id if current else f"plan-{uuid.uuid4().hex[:12]}"
    version = current.version + 1 if current else 1
    return Plan(
        uscc=proposed.uscc,
        institution_id=proposed.institution_id,
        responsible_person=proposed.responsible_person,
        problems=tuple(dict.fromkeys(proposed.problems)),
        measures=proposed.measures,
        follow_up_dates=tuple(sorted(set(proposed.follow_up_dates))),
        plan_id=plan_id,
        version=version,
    )


@dataclass(frozen=True)
class Visit:
    """An institution's visit to an enterprise (入户走访)."""

    visit_id: str
    uscc: str
    institution_id: str
    visited_on: date
    visitor: str
    notes: str


def new_visit_id() -> str:
    return f"visit-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Product:
    product_id: str
    institution_id: str
    name: str
    min_amount_wan: Decimal
    max_amount_wan: Decimal
    min_rate_pct: Decimal
    max_rate_pct: Decimal
    guarantees: tuple[Guarantee, ...]
    max_term_months: int
    description: str = ""


def check_new_product(product: Product, existing: list[Product]) -> None:
    if product.min_amount_wan > product.max_amount_wan:
        raise MatchmakingError("the smallest amount exceeds the largest", "min_amount_wan")
    if product.min_rate_pct > product.max_rate_pct:
        raise MatchmakingError("the lowest rate exceeds the highest", "min_rate_pct")
    if any(p.name == product.name for p in existing):
        raise MatchmakingError(f"{product.institution_id} already offers {product.name!r}", "name")
    if len(existing) >= MAX_FLAGSHIP_PRODUCTS:
        raise TooManyProductsError(
            f"{product.institution_id} already has {len(existing)} flagship first-loan "
            f"products; at most {MAX_FLAGSHIP_PRODUCTS}"
        )
