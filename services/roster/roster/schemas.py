"""Roster's HTTP bodies and how domain objects are shown (plain JSON: dates ISO, amounts
as decimal strings in 万元).

A nomination arrives as a JSON object or a spreadsheet row; each field is read on its own,
so that one malformed field never hides the others: the result is a draft with None where a
field is missing or malformed, plus a reason for each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from roster.domain.enterprise import Enterprise
from roster.domain.nomination import NominationDraft
from roster.domain.reasons import Reason, invalid, missing, unknown_field
from roster.domain.size_standard import Figures, SizeStandard
from roster.domain.whitelist import WhitelistEntry
from roster.handlers import NominationOutcome, PublishedWhitelist
from roster.views import CountyAtDeadline, EnterpriseFile, Whitelist
from shared.contracts.roster import DelistReason, NominationSource

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Wan = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
CampaignText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
CampaignField = Field(
    default=None,
    description="The campaign (GET /campaigns). Left out: the one the enterprise is listed in "
    "that runs on the day, else its latest listing's (409 naming the candidates when several "
    "run).",
    examples=["xinzhou-2020"],
)


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
    campaign: CampaignText | None = Field(
        default=None,
        description="The campaign (GET /campaigns) whose list it is for. Left out: the one "
        "running in the county on `nominated_on`, else the county's next campaign not yet "
        "begun (lists are prepared before a campaign starts), else the county's only one; "
        "otherwise the nomination is refused naming `campaign`. A named campaign must exist "
        "(refused naming `campaign`) and hold the county (refused naming `county_code`).",
        examples=["xinzhou-2021"],
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
        campaign=values.get("campaign"),
    )


class AssignmentRequest(BaseModel):
    institution_id: str = Field(examples=["icbc"])
    assigned_on: date | None = Field(default=None, description="Defaults to today.")
    campaign: CampaignText | None = CampaignField


class DelistRequest(BaseModel):
    reason: DelistReason
    on: date = Field(description="First day off the list.")
    note: str | None = Field(default=None, max_length=500)
    campaign: CampaignText | None = CampaignField


HIDDEN = frozenset({"id", "announced"})


def plain(value: Any) -> Any:
    """JSON-ready: dates ISO, amounts as strings (a float may lose a cent)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items() if k not in HIDDEN}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _plain_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = plain(value)
    return result


def outcome_view(outcome: NominationOutcome, *, with_enterprise: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "status": outcome.status,
        "nomination_id": outcome.nomination_id,
        "uscc": outcome.uscc,
        "campaign_id": outcome.campaign_id,
    }
    if outcome.status == "rejected":
        view["reasons"] = [r.as_dict() for r in outcome.reasons]
    else:
        view["reasons"] = []
        if with_enterprise and outcome.enterprise is not None and outcome.campaign_id:
            view["enterprise"] = enterprise_view(outcome.enterprise, outcome.campaign_id)
    return view


def enterprise_view(enterprise: Enterprise, campaign_id: str) -> dict[str, Any]:
    """The enterprise as the campaign's list has it."""
    profile = enterprise.profile
    current = enterprise.current_in(campaign_id)
    return _plain_dict(
        {
            "campaign_id": campaign_id,
            "uscc": enterprise.uscc,
            "name": profile.name,
            "county_code": profile.county_code,
            "size_class": profile.size_class,
            "size_verified": profile.size_verified.value if profile.size_verified else None,
            "industry": profile.industry,
            "listed": current is not None,
            "listed_on": current.listed_on if current else None,
            "late": current.late if current else None,
            "institutions": sorted(enterprise.institutions_in(campaign_id)),
        }
    )


def enterprise_summary(entry: WhitelistEntry) -> dict[str, Any]:
    return _plain_dict(
        {
            "uscc": entry.uscc,
            "name": entry.name,
            "county_code": entry.county_code,
            "size_class": entry.size_class,
            "listed_on": entry.listed_on,
            "late": entry.late,
            "institutions": list(entry.institutions),
        }
    )


def file_view(file: EnterpriseFile, standard: SizeStandard) -> dict[str, Any]:
    found = file.records
    profile = dict(found["profile"])
    current = file.current
    profile["size_verification"] = (
        {
            "standard": standard.document,
            "version": standard.version,
            "figures_say": profile["size_verified"],
        }
        if profile["size_verified"]
        else {"status": "unverified", "why": "no industry figures given, or industry unknown"}
    )
    accepted = [n for n in found["nominations"] if n["status"] != "rejected"]
    rejected = [n for n in found["nominations"] if n["status"] == "rejected"]
    return _plain_dict(
        {
            "uscc": file.uscc,
            "listed": current is not None,
            "listed_on": current["listed_on"] if current else None,
            "profile": profile,
            "profile_history": found["profile_history"],
            "nominations": accepted,
            "rejected_nominations": rejected,
            "assignments": found["assignments"],
            "listing_history": found["listings"],
            "loans": [
                loan | {"reversed": loan["reversed_on"] is not None} for loan in found["loans"]
            ],
            "matches": found["matches"],
            "fairs_attended": found["fairs"],
            "campaigns": [asdict(history) for history in file.campaigns],
        }
    )


def standard_view(standard: SizeStandard) -> dict[str, Any]:
    return _plain_dict(
        {
            "version": standard.version,
            "document": standard.document,
            "issued_on": standard.issued_on,
            "industries": [
                {
                    "id": i.id,
                    "name_zh": i.name_zh,
                    "aliases": list(i.aliases),
                    "medium": {m.value: v for m, v in i.medium.items()},
                    "small": {m.value: v for m, v in i.small.items()},
                }
                for i in standard.industries
            ],
        }
    )


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its `$defs` inlined, for an OpenAPI request body."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def whitelist_view(whitelist: Whitelist) -> dict[str, Any]:
    header: dict[str, Any] = {
        "campaign_id": whitelist.campaign_id,
        "version": whitelist.version,
        "as_of": whitelist.as_of.isoformat(),
    }
    if whitelist.published_at is not None:
        header["published_at"] = whitelist.published_at.isoformat()
    filters = {"county_code": whitelist.county_code, "institution_id": whitelist.institution_id}
    entries = [enterprise_summary(e) for e in whitelist.entries]
    return header | filters | {"total": len(entries), "entries": entries}


def published_view(published: PublishedWhitelist) -> dict[str, Any]:
    return {
        "campaign_id": published.campaign_id,
        "version": published.version,
        "as_of": published.as_of.isoformat(),
        "total": published.counts.total,
        "by_county": published.counts.by_county,
        "by_institution": published.counts.by_institution,
    }


def county_at_deadline_view(county: CountyAtDeadline) -> dict[str, Any]:
    return _plain_dict(asdict(county))
