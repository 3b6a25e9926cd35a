"""A nomination as it arrives (JSON object or spreadsheet row) and how it is read.

Each field is read on its own, so that one malformed field never hides the others: the
result is a draft with None where a field is missing or malformed, plus a reason for each.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from roster.domain.nomination import NominationDraft
from roster.domain.reasons import Reason, invalid, missing, unknown_field
from roster.domain.size_standard import Figures
from shared.contracts.roster import NominationSource

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Wan = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class NominationRequest(BaseModel):
    """`POST /nominations`: contract §4, plus the optional figures for size classification."""

    model_config = ConfigDict(extra="forbid")

    uscc: str = Field(
        description="统一社会信用代码. Surrounding blanks are removed and lower-case letters "
        "upper-cased before checking; anything else must be exact (GB 32100 check character).",
        examples=["91140902MA0K6Y8L1N"],
    )
    name: Text = Field(description="Registered name (企业名称).")
    county_code: str = Field(description="A campaign county's GB/T 2260 code.", examples=["140902"])
    size_class: str = Field(
        description="`small` (小型), `micro` (微型) or `individual` (个体工商户).",
        examples=["micro"],
    )
    industry: Text | None = Field(
        default=None,
        description="Industry of the 2011 size standard, by id or Chinese name "
        "(e.g. `retail` or `零售业`); see `GET /size-standard`.",
    )
    employees: Annotated[int, Field(ge=0)] | None = Field(default=None, description="从业人员.")
    operating_revenue_wan: Wan | None = Field(default=None, description="营业收入 (万元).")
    total_assets_wan: Wan | None = Field(default=None, description="资产总额 (万元).")
    source: NominationSource
    nominated_by: Text = Field(description="The nominating department or bank.")
    nominated_on: date
    financing_need_wan: Wan | None = Field(default=None, description="融资需求 (万元).")
    no_loan_in_5y_attested: bool = Field(description="The nominator attests no loan in 5 years.")
    institution_id: str | None = Field(
        default=None, description="Required for `source: bank`: the nominating bank."
    )


FIELDS = tuple(NominationRequest.model_fields)


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    info = NominationRequest.model_fields[name]
    annotated: Any = Annotated[info.annotation, *info.metadata, Field()]
    return TypeAdapter(annotated)


def read_nomination(raw: Mapping[str, Any]) -> tuple[NominationDraft, list[Reason]]:
    """The draft and a reason for every missing, malformed or unknown field."""
    problems = [unknown_field(name) for name in raw if name not in NominationRequest.model_fields]
    values: dict[str, Any] = {}
    for name, info in NominationRequest.model_fields.items():
        value = raw.get(name)
        if value is None:
            if info.is_required():
                problems.append(missing(name))
            continue
        try:
            values[name] = _adapter(name).validate_python(value)
        except ValidationError as error:
            problems.append(invalid(name, "; ".join(e["msg"] for e in error.errors())))
    return _draft(values), problems


def _draft(values: Mapping[str, Any]) -> NominationDraft:
    return NominationDraft(
        uscc=values.get("uscc"),
        name=values.get("name"),
        county_code=values.get("county_code"),
        size_class=values.get("size_class"),
        industry=values.get("industry"),
        figures=Figures(
            employees=values.get("employees"),
            revenue_wan=values.get("operating_revenue_wan"),
            assets_wan=values.get("total_assets_wan"),
        ),
        source=values.get("source"),
        nominated_by=values.get("nominated_by"),
        nominated_on=values.get("nominated_on"),
        financing_need_wan=values.get("financing_need_wan"),
        attested=values.get("no_loan_in_5y_attested"),
        institution_id=values.get("institution_id"),
    )
