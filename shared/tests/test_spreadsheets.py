from __future__ import annotations

import io

from openpyxl import Workbook

from shared.spreadsheets import row_values


def test_control_characters_are_dropped_so_the_sheet_can_be_written() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(row_values(["忻府区\x1f示例\x00企业", 3, None]))
    book.save(io.BytesIO())
    assert [c.value for c in sheet[1]] == ["忻府区示例企业", 3, None]
