"""Spreadsheets in and out: the nomination template, uploaded lists, reports, the whitelist.

Government departments keep their lists in Excel: headers may be the Chinese label, the field
key, or both as in the template (`统一社会信用代码(uscc)`); yes/no and the size and source
columns also take their Chinese words. The `campaign` column is optional (a whole upload may
name its campaign with `?campaign=` instead).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook

from roster.domain.whitelist import WhitelistEntry
from shared.spreadsheets import row_values
from shared.workbooks import RefusedWorkbookError, WorkbookLimits, first_sheet_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

COLUMNS: tuple[tuple[str, str], ...] = (
    ("uscc", "统一社会信用代码"),
    ("name", "企业名称"),
    ("county_code", "县（市、区）代码"),
    ("size_class", "企业规模"),
    ("industry", "所属行业"),
    ("employees", "从业人员"),
    ("operating_revenue_wan", "营业收入(万元)"),
    ("total_assets_wan", "资产总额(万元)"),
    ("source", "推荐方式"),
    ("nominated_by", "推荐单位"),
    ("nominated_on", "推荐日期"),
    ("financing_need_wan", "融资需求(万元)"),
    ("no_loan_in_5y_attested", "近5年无贷款承诺"),
    ("institution_id", "推荐银行代码"),
    # Optional, as in POST /nominations: left blank, the county and the day say which.
    ("campaign", "培植行动"),
)
TEXT_FIELDS = frozenset(
    {"uscc", "name", "county_code", "size_class", "industry", "source", "nominated_by"}
    | {"institution_id", "campaign"}
)
WORDS: Mapping[str, Mapping[str, Any]] = {
    "size_class": {
        "小型": "small",
        "微型": "micro",
        "个体工商户": "individual",
        "个体": "individual",
    },
    "source": {
        "政府部门": "government",
        "政府": "government",
        "银行": "bank",
        "供应链": "supply_chain",
    },
    "no_loan_in_5y_attested": {"是": True, "否": False, "y": True, "n": False},
}


class NotASpreadsheetError(RefusedWorkbookError):
    """The upload's first sheet has no header row with a USCC column."""


def header(key: str, label: str) -> str:
    return f"{label}({key})"


def template() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "培植名单推荐"
    sheet.append([header(key, label) for key, label in COLUMNS])
    sheet.append(
        [
            "91140902MA0K6Y8L1N",
            "忻州示例农产品有限公司",
            "140902",
            "微型",
            "零售业",
            8,
            90,
            50,
            "政府部门",
            "忻府区工信局",
            date(2020, 9, 5),
            100,
            "是",
            None,
            None,
        ]
    )
    return _bytes(book)


def read_rows(content: bytes, limits: WorkbookLimits) -> Iterator[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, raw nomination) for every row that is not blank; a file that
    cannot be read, or is past `limits`, raises `RefusedWorkbookError`."""
    rows = first_sheet_rows(content, limits)
    keys = _keys(next(rows, None))
    for number, values in enumerate(rows, start=2):
        raw = {
            key: _cell(key, value)
            for key, value in zip(keys, values, strict=False)
            if key is not None and value not in (None, "")
        }
        if raw:
            yield number, raw


def _keys(cells: Sequence[Any] | None) -> list[str | None]:
    if not cells:
        raise NotASpreadsheetError("the first sheet has no header row")
    by_text = {text: key for key, label in COLUMNS for text in (key, label, header(key, label))}
    keys = [by_text.get(str(cell).strip()) if cell is not None else None for cell in cells]
    if "uscc" not in keys:
        raise NotASpreadsheetError(f"no {header('uscc', '统一社会信用代码')} column in the header")
    return keys


def _cell(key: str, value: Any) -> Any:
    if isinstance(value, datetime):
        value = value.date()
    if key in TEXT_FIELDS and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, str):
        value = value.strip()
        words = WORDS.get(key, {})
        value = words.get(value, words.get(value.lower(), value))
    return value


def report(original: Sequence[Mapping[str, Any]], results: Sequence[Mapping[str, Any]]) -> bytes:
    """The rows as received, with the result and the reasons in two more columns."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "推荐结果"
    sheet.append(
        ["行号(row)", *(header(k, label) for k, label in COLUMNS), "结果(result)", "原因(reasons)"]
    )
    for raw, result in zip(original, results, strict=True):
        reasons = "；".join(f"{r['message_zh']} / {r['message_en']}" for r in result["reasons"])
        cells = [_out(raw.get(key)) for key, _ in COLUMNS]
        sheet.append(row_values([result["row"], *cells, result["status"], reasons]))
    return _bytes(book)


def whitelist_sheet(entries: Sequence[WhitelistEntry], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(
        [
            "统一社会信用代码(uscc)",
            "企业名称(name)",
            "县（市、区）代码(county_code)",
            "企业规模(size_class)",
            "列入日期(listed_on)",
            "逾期报送(late)",
            "培植银行(institutions)",
        ]
    )
    for e in entries:
        sheet.append(
            row_values(
                [
                    e.uscc,
                    e.name,
                    e.county_code,
                    e.size_class,
                    e.listed_on,
                    e.late,
                    ",".join(e.institutions),
                ]
            )
        )
    return _bytes(book)


def _out(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | date | None) else str(value)


def _bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
