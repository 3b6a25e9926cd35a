"""Reading the operator's mapping file (TOML) into the domain's `FineractMapping`."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from fineract.domain.mapping import FineractMapping
from shared.campaigns import CampaignBook
from shared.envelope import describe_errors


class MappingFileError(ValueError):
    """The mapping file cannot be used (the message names the file and each wrong field)."""


def load_mapping(path: Path | None) -> FineractMapping:
    if path is None:
        return FineractMapping()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise MappingFileError(f"{path}: {error}") from error
    try:
        return FineractMapping.model_validate(document)
    except ValidationError as error:
        raise MappingFileError(f"{path}: {describe_errors(error)}") from error


def check_institutions(mapping: FineractMapping, book: CampaignBook, path: Path | None) -> None:
    """Every institution mapped must take part in some campaign (any city's, any year's)."""
    unknown = mapping.unknown_institutions(book.institution_ids)
    if unknown:
        known = ", ".join(sorted(book.institution_ids))
        raise MappingFileError(
            f"{path}: institution_id {', '.join(unknown)} is no institution of any campaign "
            f"(known: {known})"
        )
