"""Writing user-supplied text into xlsx: Excel forbids most control characters in cells, and
openpyxl raises on them; they carry no meaning in a name or a reason, so they are dropped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def cell_value(value: Any) -> Any:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def row_values(values: Iterable[Any]) -> list[Any]:
    return [cell_value(v) for v in values]
