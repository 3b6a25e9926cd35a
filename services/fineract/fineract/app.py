"""The adapter's composition root: settings, the operator's mapping and schema directory,
runtime, handlers, consumers, API."""

from __future__ import annotations

from dataclasses import dataclass

from fineract import api, consumers, storage
from fineract.access import ACCESS
from fineract.domain.avro import SchemaSet
from fineract.domain.mapping import FineractMapping
from fineract.domain.messages import reading_both_id_widths
from fineract.handlers import Handlers
from fineract.mapping_file import MappingFileError, check_institutions, load_mapping
from fineract.settings import FineractSettings
from shared.clock import platform_clock
from shared.service import Runtime, Service, create_app

DESCRIPTION = """
Apache Fineract as a bank core: the adapter consumes the external business events a bank's
Fineract publishes on Kafka (Avro, topic `fineract.<institution>.external-events` by default)
and publishes them as the contract's bank events on `bank.<institution>.events`: approved ->
`CreditGranted`, disbursed -> `LoanIssued`, rejected -> `CreditDeclined`, undo disbursal ->
`LoanReversed`; other types are skipped and counted. A message that cannot be decoded or
mapped is dead-lettered with the reason (`undecodable`, `unmappable`). The mapping of
instances to institutions is the operator's file (docs/fineract.md).

**Access.** Every call but `/health`, `/metrics` and the documentation carries a supervisor's
bearer token (`central`).
"""


@dataclass(frozen=True)
class FineractService(Service[Handlers]):
    mapping: FineractMapping  # the operator's, in force since the start


def build(settings: FineractSettings | None = None) -> FineractService:
    settings = settings or FineractSettings()
    mapping = load_mapping(settings.fineract_mapping_file)
    if mapping.instances and settings.fineract_schema_dir is None:
        raise MappingFileError("a mapping needs FIRSTLOAN_FINERACT_SCHEMA_DIR (the .avsc files)")
    runtime = Runtime.create(settings, storage.metadata, store=storage.SqlStore)
    check_institutions(mapping, runtime.campaigns(), settings.fineract_mapping_file)
    handlers = Handlers()
    if mapping.instances and settings.fineract_schema_dir is not None:
        schemas = reading_both_id_widths(SchemaSet.from_directory(settings.fineract_schema_dir))
        consumers.subscribe(runtime, handlers, mapping, schemas)
    app = create_app(
        runtime,
        [api.router],
        title="Firstloan Fineract adapter",
        access=ACCESS,
        description=DESCRIPTION,
    )
    clock = platform_clock(settings, runtime.campaigns().zone)
    return FineractService(app, runtime, handlers, clock, mapping)
