"""Apache Fineract's Avro: its schema files, and single-object encoding on Kafka.

Fineract writes every value as an Avro single object (`C3 01`, the 8-byte little-endian
CRC-64-AVRO fingerprint of the writer schema's parsing canonical form, the binary body). The
writer schemas are the `.avsc` files of the Fineract version a bank runs, which its operator
points the adapter at: they name each other across files, and their `bigdecimal` placeholder
is what Fineract's build turns into an Avro decimal (bytes, precision 20, scale 8).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.schema import (
    SchemaParseException,
    UnknownType,
    fingerprint,
    parse_schema,
    to_parsing_canonical_form,
)

MAGIC = b"\xc3\x01"
HEADER_LENGTH = len(MAGIC) + 8
BIGDECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 20, "scale": 8}


class UndecodableError(ValueError):
    """The bytes are not a single object of a known writer schema (the message says why)."""


class SchemaDirectoryError(ValueError):
    """The configured schema directory cannot be read as a set of Avro schemas."""


def _with_decimals(node: Any) -> Any:
    """Fineract's build step: every `"bigdecimal"` type becomes the decimal it stands for."""
    if node == "bigdecimal":
        return dict(BIGDECIMAL)
    if isinstance(node, list):
        return [_with_decimals(item) for item in node]
    if isinstance(node, dict):
        return {key: _with_decimals(value) for key, value in node.items()}
    return node


def _full_name(schema: Mapping[str, Any], namespace: str = "") -> str:
    name = str(schema["name"])
    namespace = str(schema.get("namespace", namespace))
    return name if "." in name or not namespace else f"{namespace}.{name}"


NAMED_TYPES = ("record", "enum", "fixed")


def self_contained(
    node: Any, documents: Mapping[str, Mapping[str, Any]], defined: set[str] | None = None
) -> Any:
    """The schema with every named type of the set written out where it first occurs (a
    depth-first walk in field order) and named afterwards: the form the writer's own library
    gives the schema, so that its parsing canonical form, and the fingerprint, are the
    writer's."""
    defined = set() if defined is None else defined
    if isinstance(node, str):
        if node in documents and node not in defined:
            return self_contained(documents[node], documents, defined)
        return node
    if isinstance(node, list):
        return [self_contained(item, documents, defined) for item in node]
    if not isinstance(node, dict):
        return node
    written = dict(node)
    if written.get("type") in NAMED_TYPES and "name" in written:
        defined.add(_full_name(written))
    else:
        written["type"] = self_contained(written.get("type"), documents, defined)
    if "fields" in written:
        written["fields"] = [
            {**f, "type": self_contained(f["type"], documents, defined)} for f in written["fields"]
        ]
    for key in ("items", "values"):
        if key in written:
            written[key] = self_contained(written[key], documents, defined)
    return written


@dataclass(frozen=True)
class WriterSchema:
    name: str
    parsed: Any  # fastavro's parsed schema, self-contained
    fingerprint: bytes  # as it travels: the CRC-64-AVRO, little-endian


class SchemaSet:
    """Every writer schema of one directory, by full name and by fingerprint.

    Variants (another width of `MessageV1.id`, say) may be added: a reader accepts every
    writer schema it knows, told apart by fingerprint."""

    def __init__(self, documents: Mapping[str, Mapping[str, Any]]) -> None:
        self._documents = dict(documents)
        self._by_name: dict[str, WriterSchema] = {}
        self._by_fingerprint: dict[bytes, WriterSchema] = {}
        for name, document in documents.items():
            self._index(name, document)

    def _index(self, name: str, document: Mapping[str, Any]) -> WriterSchema:
        full = self_contained(document, self._documents)
        try:
            parsed = parse_schema(full)
            canonical = to_parsing_canonical_form(full)
        except (UnknownType, SchemaParseException, KeyError, TypeError, ValueError) as error:
            raise SchemaDirectoryError(f"{name}: {type(error).__name__}: {error}") from error
        writer = WriterSchema(
            name=name,
            parsed=parsed,
            # fastavro gives the fingerprint's bytes in the order they travel, as hex
            fingerprint=bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO")),
        )
        self._by_name.setdefault(name, writer)
        self._by_fingerprint[writer.fingerprint] = writer
        return writer

    @classmethod
    def from_directory(cls, directory: Path) -> SchemaSet:
        documents: dict[str, Mapping[str, Any]] = {}
        files = sorted(directory.rglob("*.avsc"))
        if not files:
            raise SchemaDirectoryError(f"{directory}: no .avsc files")
        for path in files:
            try:
                document = _with_decimals(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
                raise SchemaDirectoryError(f"{path}: {error}") from error
            if not isinstance(document, dict) or "name" not in document:
                raise SchemaDirectoryError(f"{path}: not a named Avro schema")
            documents[_full_name(document)] = document
        return cls(documents)

    def add_variant(self, document: Mapping[str, Any]) -> WriterSchema:
        """Another writer schema of a name already known (read alongside it)."""
        return self._index(_full_name(document), _with_decimals(document))

    def named(self, name: str) -> WriterSchema:
        try:
            return self._by_name[name]
        except KeyError:
            raise UndecodableError(f"no schema named {name!r} in the schema directory") from None

    def document(self, name: str) -> dict[str, Any]:
        """The schema as read, for deriving a variant (another id width)."""
        return dict(self._documents[name])

    def decode(self, value: bytes | None) -> tuple[str, dict[str, Any]]:
        """The writer schema's full name and the record a single object holds."""
        if value is None or len(value) < HEADER_LENGTH:
            raise UndecodableError("shorter than a single-object header (10 bytes)")
        if value[:2] != MAGIC:
            raise UndecodableError(f"not an Avro single object: starts {value[:2].hex()}")
        writer = self._by_fingerprint.get(value[2:HEADER_LENGTH])
        if writer is None:
            raise UndecodableError(
                f"writer schema fingerprint {value[2:HEADER_LENGTH].hex()} is not in the "
                "schema directory (another Fineract version?)"
            )
        body = io.BytesIO(value[HEADER_LENGTH:])
        try:
            record = schemaless_reader(body, writer.parsed, None)
        except Exception as error:  # fastavro raises whatever a truncated body causes
            raise UndecodableError(f"{writer.name}: body unreadable: {error!r}") from error
        if body.tell() != len(value) - HEADER_LENGTH:
            raise UndecodableError(f"{writer.name}: bytes left after the record")
        if not isinstance(record, dict):
            raise UndecodableError(f"{writer.name}: not a record")
        return writer.name, record

    def encode(self, writer: WriterSchema, record: Mapping[str, Any]) -> bytes:
        """What a Fineract of this schema would write (the demo's and the tests' producer)."""
        body = io.BytesIO()
        schemaless_writer(body, writer.parsed, dict(record))
        return MAGIC + writer.fingerprint + body.getvalue()
