"""The demo's Fineract bank: every loan event it has in the campaign, encoded as Fineract
sends it (by the demo's own writer, not the adapter's code) and read back by the adapter under
the demo's mapping, is the same contract event (but for Fineract's loan numbers and the facts
Fineract does not carry)."""

from __future__ import annotations

import tomllib
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Literal

import pytest

from console.demo.fineract import (
    DEFAULT_SCHEMA_DIR,
    LOAN_APPROVED,
    FineractBank,
    FineractWriter,
    mapping_toml,
)
from console.demo.plan import demo_reference_toml, plan_campaign
from console.demo.setup import prepare
from fineract.domain.avro import SchemaSet
from fineract.domain.mapping import FineractMapping, translate
from fineract.domain.messages import decode_message, reading_both_id_widths
from fineract.mapping_file import load_mapping
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.reference import PACKAGED_REFERENCE_FILE, load_reference

BANK = "psbc"  # a bank with every kind of loan event in this plan
RENUMBERED = {"credit_id", "loan_id", "product", "problems", "note", "reason"}


def adapter_schemas() -> SchemaSet:
    """The adapter's reader of the directory, as its app builds it."""
    return reading_both_id_widths(SchemaSet.from_directory(DEFAULT_SCHEMA_DIR))


def test_the_adapter_knows_each_schema_by_the_fingerprint_its_writer_gives() -> None:
    writer, adapter = FineractWriter(DEFAULT_SCHEMA_DIR), adapter_schemas()
    assert len(writer.schemas.files) > 50
    for name in writer.schemas.files:
        assert writer.writer(name).fingerprint == adapter.named(name).fingerprint, name


@pytest.mark.parametrize(("width", "message_id"), [("int", 7), ("long", 2**40)])
def test_the_adapter_reads_message_ids_of_either_width(
    width: Literal["int", "long"], message_id: int
) -> None:
    value = FineractWriter(DEFAULT_SCHEMA_DIR).message(
        LOAN_APPROVED,
        {"id": 11, "timeline": {"approvedOnDate": "2020-10-12"}},
        message_id=message_id,
        idempotency_key="fe-1",
        source="fineract-psbc",
        business_date="2020-10-12",
        message_id_type=width,
    )
    message = decode_message(adapter_schemas(), value)
    assert (message.id, message.idempotency_key, message.business_date) == (
        message_id,
        "fe-1",
        date(2020, 10, 12),
    )
    [event] = message.events
    assert (event.type, event.data["id"], event.data["timeline"]["approvedOnDate"]) == (
        "LoanApprovedBusinessEvent",
        11,
        "2020-10-12",
    )


def test_the_banks_events_survive_fineract_and_the_adapter(tmp_path: Path) -> None:
    path = tmp_path / "reference.toml"
    path.write_text(demo_reference_toml(PACKAGED_REFERENCE_FILE.read_text()))
    plan = plan_campaign(load_reference(path), 600, 2020)
    events = sorted((e for e in plan.bank_events if e.institution_id == BANK), key=lambda e: e.on)
    [instance] = FineractMapping.model_validate(tomllib.loads(mapping_toml(BANK))).instances
    bank, adapter = FineractBank.reading(BANK, DEFAULT_SCHEMA_DIR), adapter_schemas()
    numbers: dict[str, str] = {}  # the campaign's loan id -> the adapter's
    for event in events:
        key, value = bank.encode(event)
        message = decode_message(adapter, value)
        assert (message.idempotency_key, message.id) == (event.event_id, bank.sent)
        [translated] = translate(message, instance).events
        back, sent = translated.data, event.data
        assert type(back) is type(sent)
        assert back.model_dump(exclude=RENUMBERED) == sent.model_dump(exclude=RENUMBERED)
        if isinstance(back, CreditGranted | LoanIssued | LoanReversed):
            number = back.credit_id if isinstance(back, CreditGranted) else back.loan_id
            assert int.from_bytes(key, "big") == int(number)
        if isinstance(sent, LoanIssued) and isinstance(back, LoanIssued):
            numbers[sent.loan_id] = back.loan_id
        if isinstance(sent, LoanReversed) and isinstance(back, LoanReversed):
            assert back.loan_id == numbers[sent.loan_id]
    kinds = Counter(type(e.data) for e in events)
    assert set(kinds) == {CreditGranted, LoanIssued, CreditDeclined, LoanReversed}


def test_the_demo_configures_the_adapter_only_when_asked(tmp_path: Path) -> None:
    files = prepare(tmp_path, date(2020, 9, 1), "xzrcu", DEFAULT_SCHEMA_DIR)
    env = files.env.read_text()
    assert f"FIRSTLOAN_FINERACT_MAPPING_FILE={files.fineract_mapping}" in env
    assert f"FIRSTLOAN_FINERACT_SCHEMA_DIR={DEFAULT_SCHEMA_DIR}" in env
    [instance] = load_mapping(files.fineract_mapping).instances
    assert (instance.institution_id, instance.topic) == ("xzrcu", "fineract.xzrcu.external-events")

    files = prepare(tmp_path, date(2020, 9, 1))
    assert "FINERACT" not in files.env.read_text()
    assert not files.fineract_mapping.exists()
