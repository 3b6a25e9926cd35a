"""The ledger's official columns (the seed's 附表) and a row's cells in them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledger.domain.rows import CENT, OUTCOME_ZH, LedgerRow

TITLE = "普惠小微企业首贷培植行动工作台帐"
UNIT = "填报单位"
MATCHED_ON = "对接时间"
BANK = "对接银行"
ENTERPRISE = "对接企业名称"
OUTCOME = "对接成效(是否授信)"
CREDIT = "授信金额(万元)"
GUARANTEE = "担保情况"
PROBLEMS = "存在的主要问题(未授信填写此项)"
LOANS = "对接后发放新贷款金额(万元)"
REMARKS = "备注"
COLUMNS = (UNIT, MATCHED_ON, BANK, ENTERPRISE, OUTCOME, CREDIT, GUARANTEE, PROBLEMS, LOANS, REMARKS)
AMOUNT_COLUMNS = (CREDIT, LOANS)
TOTAL_LABEL = "合计"


def amount_text(amount: Decimal) -> str | None:
    """Amounts in 万元 with 2 decimals; an empty cell for nothing."""
    return str(amount.quantize(CENT)) if amount else None


def cells(row: LedgerRow, unit_name: str) -> dict[str, Any]:
    """The row in the official columns: dates ISO, amounts as 2-decimal strings or None."""
    return {
        UNIT: unit_name,
        MATCHED_ON: row.matched_on.isoformat(),
        BANK: row.institution_name,
        ENTERPRISE: row.enterprise_name,
        OUTCOME: OUTCOME_ZH[row.outcome],
        CREDIT: amount_text(row.credit_amount_wan),
        GUARANTEE: row.guarantee,
        PROBLEMS: row.problems,
        LOANS: amount_text(row.loan_amount_wan),
        REMARKS: row.remarks,
    }


def normalized_header(text: object) -> str:
    """Hand-typed headers differ in spaces and full-width brackets: compare without them."""
    return "".join(str(text or "").split()).replace("（", "(").replace("）", ")")
