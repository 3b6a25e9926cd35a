from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings


class FineractSettings(ServiceSettings):
    service: str = "fineract"
    http_port: int = 8105
    fineract_mapping_file: Path | None = Field(
        default=None,
        description="The operator's TOML mapping of Fineract instances to institutions "
        "(docs/fineract.md); without one the adapter consumes nothing.",
    )
    fineract_schema_dir: Path | None = Field(
        default=None,
        description="The `.avsc` files of the Fineract version the banks run (its "
        "fineract-avro-schemas module's `avro/` directory).",
    )
