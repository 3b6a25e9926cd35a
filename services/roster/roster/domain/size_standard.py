"""Size classification by 中小企业划型标准规定 (工信部联企业〔2011〕300号).

The thresholds are data (`size_standard_2011.toml`), dated and versioned; this module only
reads them and applies the standard's rule: a class needs every one of its lower bounds,
otherwise the enterprise falls one class down (否则下划一档), so micro is "any one below".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

STANDARD_2011_FILE = Path(__file__).with_name("size_standard_2011.toml")


class Measure(StrEnum):
    EMPLOYEES = "employees"  # 从业人员 (persons)
    REVENUE_WAN = "revenue_wan"  # 营业收入 (万元)
    ASSETS_WAN = "assets_wan"  # 资产总额 (万元)


MEASURE_ZH = {
    Measure.EMPLOYEES: "从业人员",
    Measure.REVENUE_WAN: "营业收入(万元)",
    Measure.ASSETS_WAN: "资产总额(万元)",
}


class FiguredClass(StrEnum):
    """What the figures say. The standard's upper class is "medium or large" for us: either
    one is outside the campaign."""

    MEDIUM_OR_LARGE = "medium_or_large"
    SMALL = "small"
    MICRO = "micro"


@dataclass(frozen=True)
class Figures:
    employees: int | None = None
    revenue_wan: Decimal | None = None
    assets_wan: Decimal | None = None

    def value(self, measure: Measure) -> Decimal | None:
        raw = getattr(self, measure.value)
        return None if raw is None else Decimal(raw)


@dataclass(frozen=True)
class Industry:
    id: str
    name_zh: str
    aliases: tuple[str, ...]
    medium: dict[Measure, Decimal]
    small: dict[Measure, Decimal]

    @property
    def measures(self) -> frozenset[Measure]:
        return frozenset(self.medium) | frozenset(self.small)


@dataclass(frozen=True)
class Classification:
    industry: Industry
    figured: FiguredClass
    bounds: dict[Measure, Decimal]
    """The lower bounds of `figured` that were all met (empty for micro)."""

    def describe_bounds(self) -> tuple[str, str]:
        """The bounds met, in Chinese and English, for a rejection's message."""
        zh = "、".join(f"{MEASURE_ZH[m]}≥{v}" for m, v in self.bounds.items())
        en = " and ".join(f"{m.value} >= {v}" for m, v in self.bounds.items())
        return zh, en


@dataclass(frozen=True)
class SizeStandard:
    version: str
    document: str
    issued_on: date
    industries: tuple[Industry, ...]

    def industry(self, name: str) -> Industry | None:
        """The industry named by its id, its Chinese name or an alias; None if unknown."""
        wanted = name.strip()
        for industry in self.industries:
            if wanted in (industry.id, industry.name_zh, *industry.aliases):
                return industry
        return None

    def classify(self, industry_name: str | None, figures: Figures) -> Classification | None:
        """The class the figures give, or None when the industry is unknown or a figure the
        industry's thresholds use is missing (the claimed class then stands, unverified)."""
        industry = self.industry(industry_name) if industry_name else None
        if industry is None or any(figures.value(m) is None for m in industry.measures):
            return None
        for figured, bounds in (
            (FiguredClass.MEDIUM_OR_LARGE, industry.medium),
            (FiguredClass.SMALL, industry.small),
        ):
            if all(_at_least(figures.value(m), bound) for m, bound in bounds.items()):
                return Classification(industry, figured, bounds)
        return Classification(industry, FiguredClass.MICRO, {})


def _at_least(value: Decimal | None, bound: Decimal) -> bool:
    return value is not None and value >= bound


def load_size_standard(path: Path = STANDARD_2011_FILE) -> SizeStandard:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return SizeStandard(
        version=str(raw["version"]),
        document=str(raw["document"]),
        issued_on=raw["issued_on"],
        industries=tuple(_industry(entry) for entry in raw["industries"]),
    )


def _industry(entry: dict[str, Any]) -> Industry:
    return Industry(
        id=entry["id"],
        name_zh=entry["name_zh"],
        aliases=tuple(entry.get("aliases", ())),
        medium=_bounds(entry["medium"]),
        small=_bounds(entry["small"]),
    )


def _bounds(raw: dict[str, Any]) -> dict[Measure, Decimal]:
    return {Measure(name): Decimal(str(value)) for name, value in raw.items()}
