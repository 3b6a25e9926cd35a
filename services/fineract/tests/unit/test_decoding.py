"""Decoding Fineract's Avro with the writer schemas of a real Fineract version: envelopes of
both id widths, payloads, bulk messages, and bytes that are not what they claim."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastavro.schema import fingerprint

from fineract.domain.avro import SchemaDirectoryError, SchemaSet, UndecodableError
from fineract.domain.mapping import APPROVED, DISBURSED
from fineract.domain.messages import MESSAGE_SCHEMA, decode_message
from fineract.testing import SCHEMA_DIR, bulk, loan, message, schemas
from shared.testing import sample_uscc

USCC = sample_uscc(1, tag="FD")


def test_every_schema_of_the_directory_is_read_with_the_decimal_placeholder_rewritten() -> None:
    loaded = schemas()
    writer = loaded.named("org.apache.fineract.avro.loan.v1.LoanAccountDataV1")
    principal = next(f for f in writer.parsed["fields"] if f["name"] == "principal")
    assert {"type": "bytes", "logicalType": "decimal", "precision": 20, "scale": 8} in [
        {k: v for k, v in branch.items() if k in ("type", "logicalType", "precision", "scale")}
        for branch in principal["type"]
        if isinstance(branch, dict)
    ]


def test_fingerprints_travel_in_the_byte_order_of_the_avro_specification() -> None:
    # The Avro specification's test vector: the schema "null" has fingerprint
    # 7195948357588979594, written little-endian in a single object's header.
    assert bytes.fromhex(fingerprint('"null"', "CRC-64-AVRO")) == (7195948357588979594).to_bytes(
        8, "little"
    )


def test_a_message_and_its_payload_are_decoded_with_exact_amounts() -> None:
    value = message(APPROVED, loan(7, USCC, principal="1234567.89"), message_id=42, key="k-1")
    decoded = decode_message(schemas(), value)
    assert (decoded.id, decoded.type, decoded.tenant_id, decoded.idempotency_key) == (
        42,
        APPROVED,
        "default",
        "k-1",
    )
    [event] = decoded.events
    assert event.event_id == "k-1"
    assert str(event.data["principal"]) == "1234567.89000000"
    assert event.data["clientExternalId"] == USCC
    assert decoded.created_at.isoformat() == "2020-10-15T08:00:00+00:00"


def test_both_widths_of_the_message_id_are_read() -> None:
    large = 2**40
    assert (
        decode_message(
            schemas(), message(APPROVED, loan(1, USCC), long_id=True, message_id=large)
        ).id
        == large
    )
    assert decode_message(schemas(), message(APPROVED, loan(1, USCC), message_id=5)).id == 5


def test_a_bulk_message_is_expanded_into_its_items() -> None:
    value = bulk([(APPROVED, loan(1, USCC)), (DISBURSED, loan(1, USCC))], key="bulk-1")
    decoded = decode_message(schemas(), value)
    assert [(e.event_id, e.type) for e in decoded.events] == [
        ("bulk-1/1", APPROVED),
        ("bulk-1/2", DISBURSED),
    ]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (None, "shorter than a single-object header"),
        (b"\xc3\x01\x00", "shorter than a single-object header"),
        (b'{"specversion": "1.0"}', "not an Avro single object"),
        (b"\xc3\x01" + bytes(8) + b"\x02", "fingerprint 0000000000000000 is not in the schema"),
    ],
)
def test_bytes_that_are_no_known_single_object_are_undecodable(
    value: bytes | None, says: str
) -> None:
    with pytest.raises(UndecodableError, match=says):
        decode_message(schemas(), value)


def test_a_truncated_body_or_payload_is_undecodable() -> None:
    value = message(APPROVED, loan(1, USCC))
    with pytest.raises(UndecodableError, match="MessageV1: body unreadable"):
        decode_message(schemas(), value[:-30])
    payload = schemas().encode(
        schemas().named("org.apache.fineract.avro.loan.v1.LoanAccountDataV1"), loan(1, USCC)
    )
    with pytest.raises(UndecodableError, match=r"message\.data"):
        decode_message(schemas(), message(APPROVED, payload[:-5]))


def test_a_payload_of_another_schema_than_its_dataschema_is_undecodable() -> None:
    office = schemas().encode(
        schemas().named("org.apache.fineract.avro.office.v1.OfficeDataV1"), {"id": 1}
    )
    with pytest.raises(UndecodableError, match="OfficeDataV1, but its dataschema says"):
        decode_message(schemas(), message(APPROVED, office))


def test_a_value_of_another_schema_than_messagev1_is_undecodable() -> None:
    office = schemas().encode(
        schemas().named("org.apache.fineract.avro.office.v1.OfficeDataV1"), {"id": 1}
    )
    with pytest.raises(UndecodableError, match=f"not a {MESSAGE_SCHEMA}"):
        decode_message(schemas(), office)


def test_a_schema_naming_a_type_no_file_defines_is_refused() -> None:
    with pytest.raises(SchemaDirectoryError, match=r"a\.R: UnknownType: a\.Missing"):
        SchemaSet(
            {
                "a.R": {
                    "type": "record",
                    "name": "R",
                    "namespace": "a",
                    "fields": [{"name": "x", "type": "a.Missing"}],
                }
            }
        )


def test_an_empty_schema_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SchemaDirectoryError, match=r"no \.avsc files"):
        SchemaSet.from_directory(tmp_path)
    assert SCHEMA_DIR.is_dir()


def test_the_message_schema_of_the_directory_is_the_one_fineract_writes() -> None:
    assert schemas().named(MESSAGE_SCHEMA).fingerprint.hex() == "1fd07bcc226c7826"
