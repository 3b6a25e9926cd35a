from __future__ import annotations

from datetime import date

from shared.dates import years_before


def test_years_before() -> None:
    assert years_before(date(2020, 10, 8), 5) == date(2015, 10, 8)
    assert years_before(date(2024, 2, 29), 5) == date(2019, 2, 28)
    assert years_before(date(3, 1, 1), 5) == date.min
