"""What the benchmarks publish: valid roster and bank events, made from templates.

Records are built as bytes from one model-made event each (making a million through the
models would take longer than consuming them); the consumers validate them as they would any
bank's. Enterprises are spread over the reference data's counties, loans over its banks.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.bus import operator_options
from shared.contracts.bank import LoanIssued
from shared.contracts.roster import EnterpriseListed
from shared.contracts.types import Guarantee
from shared.envelope import STRUCTURED_CONTENT_TYPE, TYPE_PREFIX
from shared.reference import ReferenceData
from shared.settings import ServiceSettings
from shared.testing import sample_uscc
from shared.topics import ROSTER_EVENTS

HEADERS = [("content-type", STRUCTURED_CONTENT_TYPE.encode())]
LISTED_ON = date(2020, 9, 2)
FIRST_ISSUE_DAY = date(2020, 9, 10)


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes
    value: bytes


def _envelope(name: str, source: str, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": source,
            "type": TYPE_PREFIX + name,
            "time": "2020-12-31T08:00:00Z",
            "datacontenttype": "application/json",
            "data": data,
        },
        ensure_ascii=False,
    ).encode()


@cache
def _listed_template() -> dict[str, Any]:
    return EnterpriseListed(
        uscc=sample_uscc(0),
        name="忻州市某某商贸有限公司",
        county_code="140902",
        listed_on=LISTED_ON,
    ).model_dump(mode="json")


@cache
def _loan_template() -> dict[str, Any]:
    return LoanIssued(
        loan_id="L0",
        institution_id="icbc",
        uscc=sample_uscc(0),
        enterprise_name="忻州市某某商贸有限公司",
        amount_wan=Decimal("50"),
        issued_on=FIRST_ISSUE_DAY,
        applied_on=FIRST_ISSUE_DAY - timedelta(days=7),
        first_loan_attested=True,
        guarantee=Guarantee.CREDIT,
        annual_rate_pct=4.35,
    ).model_dump(mode="json")


class Workload:
    """`enterprises` listed enterprises and loans to them, over the reference's units."""

    def __init__(self, settings: ServiceSettings, reference: ReferenceData, enterprises: int):
        self.settings = settings
        self.counties = [c.code for c in reference.counties]
        self.banks = [i.id for i in reference.institutions]
        self.bank_topics = [settings.topic(reference.bank_topic(b)) for b in self.banks]
        self.usccs = [
            sample_uscc(n, county=self.counties[n % len(self.counties)], tag="BN")
            for n in range(enterprises)
        ]

    def listings(self) -> Iterable[Record]:
        topic = self.settings.topic(ROSTER_EVENTS)
        for n, uscc in enumerate(self.usccs):
            data = {
                **_listed_template(),
                "uscc": uscc,
                "county_code": self.counties[n % len(self.counties)],
            }
            yield Record(
                topic, uscc.encode(), _envelope("EnterpriseListed", "urn:firstloan:roster", data)
            )

    def loans(self, count: int, start: int = 0, banks: Sequence[str] | None = None) -> list[Record]:
        """Loans `start` .. `start + count`: loan n goes to enterprise n mod enterprises (so
        each enterprise's first is its first loan, the rest repeat loans), from a bank."""
        chosen = list(banks or self.banks)
        records = []
        for n in range(start, start + count):
            bank = chosen[n % len(chosen)]
            uscc = self.usccs[n % len(self.usccs)]
            data = {
                **_loan_template(),
                "loan_id": f"BL{n}",
                "institution_id": bank,
                "uscc": uscc,
                "issued_on": (FIRST_ISSUE_DAY + timedelta(days=n // len(self.usccs))).isoformat(),
                # A bank attests a first loan only for the enterprise's first.
                "first_loan_attested": n < len(self.usccs),
            }
            records.append(
                Record(
                    self.settings.topic(f"bank.{bank}.events"),
                    uscc.encode(),
                    _envelope("LoanIssued", f"urn:firstloan:institution:{bank}", data),
                )
            )
        return records


async def publish(settings: ServiceSettings, records: Iterable[Record]) -> int:
    """Publish every record (acks=all, idempotent); return how many."""
    producer = AIOKafkaProducer(
        **operator_options(settings.kafka_bootstrap),
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    sent = 0
    try:
        pending: list[asyncio.Future[Any]] = []
        for record in records:
            pending.append(
                await producer.send(record.topic, record.value, key=record.key, headers=HEADERS)
            )
            sent += 1
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent
