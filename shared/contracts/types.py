"""Field types the contracts share."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

COUNTY_CODE = r"^\d{6}$"
INSTITUTION_ID = r"^[a-z][a-z0-9-]{1,31}$"
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
_AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$")

CountyCode = Annotated[
    str, Field(pattern=COUNTY_CODE, description="GB/T 2260 county code.", examples=["140902"])
]
InstitutionId = Annotated[
    str, Field(pattern=INSTITUTION_ID, description="Institution id.", examples=["icbc"])
]
UnitId = Annotated[
    str, Field(description="A county code or an institution id.", examples=["140902", "icbc"])
]
CAMPAIGN_ID = r"^[a-z0-9][a-z0-9-]{1,63}$"
CampaignId = Annotated[
    str | None,
    Field(
        default=None,
        pattern=CAMPAIGN_ID,
        description="The campaign this belongs to (GET /campaigns). Left out by events "
        "written before campaigns were named: then the campaign whose region holds the "
        "event's county and whose window holds its date (shared.campaigns.attribute).",
        examples=["xinzhou-2020"],
    ),
]
Period = Annotated[
    str, Field(pattern=PERIOD, description="A month, `YYYY-MM`.", examples=["2020-10"])
]


def _amount(value: Any) -> Decimal:
    """Amounts travel as decimal strings: a JSON number may already have lost a cent."""
    if not isinstance(value, str | Decimal):
        raise ValueError('must be a decimal string such as "12.50" (万元), not a number')
    text = str(value).strip()
    if not _AMOUNT.match(text):
        raise ValueError("must be a positive decimal with at most 2 decimals, in 万元")
    try:
        amount = Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the pattern already ensures it
        raise ValueError("not a decimal") from error
    if amount <= 0:
        raise ValueError("must be positive")
    return amount


AmountWan = Annotated[
    Decimal,
    BeforeValidator(_amount),
    Field(
        description="Amount in 万元 (10,000 CNY) as a decimal string, at most 2 decimals.",
        examples=["120.00"],
    ),
]


class Guarantee(StrEnum):
    """担保方式."""

    CREDIT = "credit"  # 信用
    COLLATERAL = "collateral"  # 抵质押
    GOVERNMENT_GUARANTEE = "government_guarantee"  # 政府性融资担保
    THIRD_PARTY = "third_party"  # 第三方保证


GUARANTEE_ZH = {
    Guarantee.CREDIT: "信用",
    Guarantee.COLLATERAL: "抵质押",
    Guarantee.GOVERNMENT_GUARANTEE: "政府性融资担保",
    Guarantee.THIRD_PARTY: "第三方保证",
}


class Problem(StrEnum):
    """Why a bank declined credit: the problems the action plan names."""

    LACK_OF_INFORMATION = "lack_of_information"
    LACK_OF_COLLATERAL = "lack_of_collateral"
    LACK_OF_GUARANTEE = "lack_of_guarantee"
    IRREGULAR_FINANCES = "irregular_finances"
    INSUFFICIENT_CASH_FLOW = "insufficient_cash_flow"
    POOR_CREDIT_RECORD = "poor_credit_record"
    OTHER = "other"


PROBLEM_ZH = {
    Problem.LACK_OF_INFORMATION: "缺信息",
    Problem.LACK_OF_COLLATERAL: "缺抵押",
    Problem.LACK_OF_GUARANTEE: "缺担保",
    Problem.IRREGULAR_FINANCES: "财务不规范",
    Problem.INSUFFICIENT_CASH_FLOW: "现金流不足",
    Problem.POOR_CREDIT_RECORD: "信用记录不良",
    Problem.OTHER: "其他",
}
