"""Documents supervisors take away from a checkpoint: the ranking as a spreadsheet, and a
draft circular (通报) in the register of such notices, as a Word document."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Font

from assessment.domain.follow_through import Record
from shared.reference import ReferenceData

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

RANKING_COLUMNS = (
    ("rank", "排名"),
    ("unit_id", "单位代码"),
    ("name", "单位"),
    ("cultivated", "培植户数"),
    ("first_loans", "首贷户数"),
    ("first_loan_rate", "首贷率"),
    ("attainment_ratio", "进度完成率"),
    ("status", "状态"),
)
SEVERITY_ZH = {"warning": "预警", "talk": "约谈", "circular": "通报"}
REASON_ZH = {
    "under_target": "首贷培植进度落后于序时进度",
    "data_falsification": "首贷数据与征信记录不符，涉嫌虚报",
    "ledger_overdue": "未按时报送工作台帐",
    "no_matchmaking_fair": "行动期内未举办首贷专场对接会",
    "projected_shortfall": "按近期进度预测，行动结束时难以完成首贷目标",
}


def ranking_xlsx(ranking: Mapping[str, Any]) -> bytes:
    book = Workbook()
    for index, (key, title) in enumerate((("counties", "县域排名"), ("institutions", "机构排名"))):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        sheet.append([f"首贷培植行动考核排名（截至{ranking['as_of']}）"])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([label for _, label in RANKING_COLUMNS])
        for row in ranking[key]:
            sheet.append([_cell(row.get(field)) for field, _ in RANKING_COLUMNS])
        for column in "ABCDEFGH":
            sheet.column_dimensions[column].width = 14
        sheet.column_dimensions["C"].width = 26
        sheet.page_setup.orientation = "landscape"
        sheet.print_title_rows = "2:2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def circular_docx(
    as_of: date,
    dated: date,
    authority: str,
    campaign_name: str,
    escalated: Sequence[Mapping[str, Any]],
) -> bytes:
    """`escalated`: one entry per unit and reason: name, severity, reason, figures;
    `dated`: the draft's date (the platform's today)."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "FangSong"
    style.font.size = Pt(16)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"关于{campaign_name}阶段性考核情况的通报\n（征求意见稿）")
    run.bold = True
    run.font.size = Pt(22)
    document.add_paragraph("各县（市、区）支行，市级各银行业金融机构：")
    document.add_paragraph(
        f"    根据{campaign_name}工作安排，现将截至{as_of:%Y年%m月%d日}的考核情况通报如下："
    )
    for number, entry in enumerate(escalated, start=1):
        figures = entry.get("figures", {})
        ratio = figures.get("attainment_ratio")
        document.add_paragraph(
            f"    {_numeral(number)}、{entry['name']}："
            f"{REASON_ZH.get(entry['reason'], entry['reason'])}。"
            f"培植户数{figures.get('cultivated', '—')}户，"
            f"首贷户数{figures.get('first_loans', '—')}户"
            + (f"，序时进度完成率{ratio:.0%}" if isinstance(ratio, float) else "")
            + f"，予以{SEVERITY_ZH.get(entry['severity'], entry['severity'])}。"
        )
    if not escalated:
        document.add_paragraph("    本期各单位均达到考核要求，无通报事项。")
    document.add_paragraph(
        "    请被通报单位高度重视，认真分析原因，制定整改措施，并于通报印发后十个工作日内"
        "将整改情况书面报送。"
    )
    closing = document.add_paragraph(f"{authority}\n{dated:%Y年%m月%d日}")
    closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _numeral(number: int) -> str:
    digits = "零一二三四五六七八九十"
    return digits[number] if number <= 10 else str(number)


def circular_draft(record: Record, reference: ReferenceData, dated: datetime) -> bytes:
    """The draft circular (通报) about this escalation alone, dated `dated`."""
    escalation = record.escalation
    history = escalation.history
    as_of = history[-1].get("as_of") if history else None
    figures = dict(history[-1].get("figures", {})) if history else {}
    names = {c.code: c.name for c in reference.counties} | {
        i.id: i.name for i in reference.institutions
    }
    campaign = reference.campaign
    entry = {
        "name": names.get(escalation.unit_id, escalation.unit_id),
        "severity": escalation.severity.value,
        "reason": escalation.reason,
        "figures": figures,
    }
    day = dated.date() if as_of is None else type(dated.date()).fromisoformat(as_of)
    return circular_docx(day, dated.date(), campaign.authority, campaign.name, [entry])
