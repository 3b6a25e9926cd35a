"""Spreadsheets for the upload tests: nominations in the template's columns."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from roster.spreadsheets import COLUMNS, header


def spreadsheet(rows: list[dict[str, Any]]) -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.append([header(key, label) for key, label in COLUMNS])
    for row in rows:
        sheet.append([row.get(key) for key, _ in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
