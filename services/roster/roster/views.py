"""How the API shows things: plain JSON (dates ISO, amounts as decimal strings in 万元)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from roster.domain.enterprise import Enterprise
from roster.domain.size_standard import SizeStandard
from roster.domain.whitelist import WhitelistEntry
from roster.handlers import NominationOutcome

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
    }
    if outcome.status == "rejected":
        view["reasons"] = [
            {
                "code": r.code.value,
                "field": r.field,
                "message_zh": r.message_zh,
                "message_en": r.message_en,
            }
            for r in outcome.reasons
        ]
    else:
        view["reasons"] = []
        if with_enterprise and outcome.enterprise is not None:
            view["enterprise"] = enterprise_view(outcome.enterprise)
    return view


def enterprise_view(enterprise: Enterprise) -> dict[str, Any]:
    profile = enterprise.profile
    current = enterprise.current
    return _plain_dict(
        {
            "uscc": enterprise.uscc,
            "name": profile.name,
            "county_code": profile.county_code,
            "size_class": profile.size_class,
            "size_verified": profile.size_verified.value if profile.size_verified else None,
            "industry": profile.industry,
            "listed": current is not None,
            "listed_on": current.listed_on if current else None,
            "late": current.late if current else None,
            "institutions": sorted(enterprise.institutions),
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


def file_view(uscc: str, found: Mapping[str, Any], standard: SizeStandard) -> dict[str, Any]:
    profile = dict(found["profile"])
    listings = found["listings"]
    current = next((x for x in listings if x["delisted_on"] is None), None)
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
            "uscc": uscc,
            "listed": current is not None,
            "listed_on": current["listed_on"] if current else None,
            "profile": profile,
            "profile_history": found["profile_history"],
            "nominations": accepted,
            "rejected_nominations": rejected,
            "assignments": found["assignments"],
            "listing_history": listings,
            "loans": [
                loan | {"reversed": loan["reversed_on"] is not None} for loan in found["loans"]
            ],
            "matches": found["matches"],
            "fairs_attended": found["fairs"],
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
