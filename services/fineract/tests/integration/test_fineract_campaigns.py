"""The adapter on a platform of several campaigns, over the real Kafka and PostgreSQL: a bank
of Yunzhou's campaign (its rural credit union) is mapped and its Fineract's approval ends as
`CreditGranted` on its bank topic; a mapping naming a bank of no campaign is refused at the
start; the clock keeps the campaigns' one time zone."""

from __future__ import annotations

from pathlib import Path

import pytest

import fineract.app
from fineract.domain.mapping import APPROVED
from fineract.mapping_file import MappingFileError, load_mapping
from fineract.provisioning import provision_instances
from fineract.settings import FineractSettings
from fineract.testing import SCHEMA_DIR, loan, message, producer_as
from shared.bus import create_topics
from shared.envelope import Envelope, parse_record
from shared.kafka_security import bank_principal
from shared.testing import campaigns_dir, eventually, read_topic, sample_uscc
from shared.topics import TopicSpec

pytestmark = pytest.mark.integration

MAPPING = """
[[instances]]
institution_id = "{bank}"
guarantee_by_product = {{ "1" = "credit" }}

[instances.first_loan_attested]
field = "loanPurposeName"
true_values = ["首贷-征信已查"]
"""


def settings_for(namespace: str, tmp_path: Path, bank: str) -> FineractSettings:
    mapping_file = tmp_path / f"{bank}.toml"
    mapping_file.write_text(MAPPING.format(bank=bank), encoding="utf-8")
    return FineractSettings(
        namespace=namespace,
        campaigns=campaigns_dir(tmp_path / "c", "yunzhou-2020", "xinzhou-2021"),
        consumer_batch_timeout_ms=50,
        outbox_poll_seconds=0.1,
        fineract_mapping_file=mapping_file,
        fineract_schema_dir=SCHEMA_DIR,
    )


async def test_a_bank_of_another_citys_campaign_is_mapped(
    private_namespace: str, tmp_path: Path
) -> None:
    settings = settings_for(private_namespace, tmp_path, "yzrcu")
    await create_topics(settings, [TopicSpec("bank.yzrcu.events")])  # not a default bank
    await provision_instances(settings, load_mapping(settings.fineract_mapping_file))
    app = fineract.app.build(settings)
    assert str(app.clock().tzinfo) == "Asia/Shanghai"
    uscc = sample_uscc(61, "149902", tag="FY")
    approved = message(APPROVED, loan(61, uscc, approvedOnDate="2020-10-12"), key="yz-1")
    topic = settings.topic("fineract.yzrcu.external-events")
    async with app.runtime.running(), producer_as(settings, bank_principal("yzrcu")) as bank:
        await bank.send_and_wait(topic, approved, key=(1).to_bytes(8, "big"))
        bank_topic = settings.topic("bank.yzrcu.events")

        async def published() -> bool:
            return bool(await read_topic(settings.kafka_bootstrap, bank_topic))

        await eventually(published, what="the credit on Yunzhou's bank topic")
        [record] = await read_topic(settings.kafka_bootstrap, bank_topic)
        event = parse_record(record.value, record.headers)
        assert isinstance(event, Envelope)
        assert (event.name, event.source) == ("CreditGranted", "urn:firstloan:institution:yzrcu")


def test_a_bank_of_no_campaign_is_refused(private_namespace: str, tmp_path: Path) -> None:
    with pytest.raises(MappingFileError, match="nobody is no institution of any campaign"):
        fineract.app.build(settings_for(private_namespace, tmp_path, "nobody"))
