"""The ledger as an xlsx workbook (openpyxl), and hand-kept workbooks read back.

Layout: the title, a line with the reporting unit, the period and the due date, the header row of
the official columns, one row per pairing, and a totals row (合计). Amounts in 万元 with 2
decimals. Landscape A4, fitted to one page wide, the header repeated on every page.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from ledger.domain import sheet
from ledger.views import LedgerView
from shared.spreadsheets import row_values
from shared.workbooks import RefusedWorkbookError, WorkbookLimits, first_sheet_rows

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AMOUNT_FORMAT = "#,##0.00"
WIDTHS = (16, 12, 18, 28, 10, 12, 16, 24, 14, 24)
HEADER_ROW = 3
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


class UnreadableWorkbookError(RefusedWorkbookError):
    """No row with the ledger's columns."""


def workbook_bytes(view: LedgerView) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = str(view.month)
    _title(ws, view)
    _header(ws)
    for row in view.rows:
        _data_row(ws, sheet.cells(row, view.reporting_unit.name))
    _totals_row(ws, view)
    _print_setup(ws)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _title(ws: Worksheet, view: LedgerView) -> None:
    last = get_column_letter(len(sheet.COLUMNS))
    ws.append([sheet.TITLE])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(
        [
            f"填报单位：{view.reporting_unit.name}　　报送期：{view.month.label_zh}"
            f"　　报送截止：{view.deadline.due_date.isoformat()}"
        ]
    )
    ws.merge_cells(f"A2:{last}2")


def _header(ws: Worksheet) -> None:
    ws.append(list(sheet.COLUMNS))
    for cell in ws[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BOX


def _data_row(ws: Worksheet, cells: dict[str, Any]) -> None:
    values: list[Any] = []
    for column in sheet.COLUMNS:
        value = cells[column]
        if column == sheet.MATCHED_ON:
            value = date.fromisoformat(value)
        elif column in sheet.AMOUNT_COLUMNS and value is not None:
            value = Decimal(value)
        values.append(value)
    ws.append(row_values(values))
    _style_row(ws, ws.max_row)


def _totals_row(ws: Worksheet, view: LedgerView) -> None:
    totals = view.totals
    values: list[Any] = [sheet.TOTAL_LABEL, f"{totals.row_count}户次", None, None]
    values += [f"授信{totals.granted_count}户", totals.credit_amount_wan, None, None]
    values += [totals.loan_amount_wan, None]
    ws.append(values)
    _style_row(ws, ws.max_row)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def _style_row(ws: Worksheet, number: int) -> None:
    for index, cell in enumerate(ws[number]):
        cell.border = _BOX
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        column = sheet.COLUMNS[index]
        if column in sheet.AMOUNT_COLUMNS:
            cell.number_format = AMOUNT_FORMAT
        elif column == sheet.MATCHED_ON:
            cell.number_format = "yyyy-mm-dd"


def _print_setup(ws: Worksheet) -> None:
    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    footer = ws.oddFooter
    if footer is not None:
        footer.center.text = "第 &P 页，共 &N 页"


def read_rows(content: bytes, limits: WorkbookLimits) -> Iterator[tuple[int, dict[str, Any]]]:
    """(Excel row number, {column: value}) for each data row of the first sheet: the rows
    under the header row, up to the totals row or the end; blank rows are skipped. A file
    that cannot be read, or is past `limits`, raises `RefusedWorkbookError`."""
    positions: dict[str, int] | None = None
    wanted = {sheet.normalized_header(c): c for c in sheet.COLUMNS}
    for number, values in enumerate(first_sheet_rows(content, limits), start=1):
        if positions is None:
            found = {
                wanted[h]: i
                for i, v in enumerate(values)
                if (h := sheet.normalized_header(v)) in wanted
            }
            if len(found) == len(sheet.COLUMNS):
                positions = found
            continue
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        if str(values[0] or "").strip() == sheet.TOTAL_LABEL:
            break
        yield number, {c: values[i] if i < len(values) else None for c, i in positions.items()}
    if positions is None:
        raise UnreadableWorkbookError(
            "no header row with the ledger's columns: " + ", ".join(sheet.COLUMNS)
        )
