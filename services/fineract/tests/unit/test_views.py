"""`/instances`: every mapped instance is listed from the start, saying no message has
arrived; an instance that left the mapping stays listed with what it sent; and the OpenAPI
document describes the answer."""

from __future__ import annotations

from datetime import UTC, datetime

from fineract import views
from fineract.app import build
from fineract.domain.mapping import FineractMapping
from fineract.schemas import InstanceOut
from fineract.settings import FineractSettings
from fineract.storage import InstanceProgress, Tally
from fineract.testing import instance

from .fakes import InMemoryStore

XZRCU, JINSHANG = instance("xzrcu"), instance("jinshang")
CREATED = datetime(2020, 10, 15, 9, 30, tzinfo=UTC)


async def store_with_messages_of(source: str, institution_id: str) -> InMemoryStore:
    store = InMemoryStore()
    await store.tallies.add(
        [Tally(source, "published", "LoanIssued", 2), Tally(source, "skipped", "LoanX", 1)],
        [InstanceProgress(source, institution_id, 3, 17, CREATED)],
    )
    return store


async def test_a_mapped_instance_is_listed_before_its_first_message() -> None:
    store = await store_with_messages_of(XZRCU.inbox_source, "xzrcu")
    shown = await views.instances(store, FineractMapping(instances=[XZRCU, JINSHANG]))
    assert shown == [
        InstanceOut(
            instance=JINSHANG.inbox_source,
            institution_id="jinshang",
            mapped=True,
            messages=0,
            last_message_id=None,
            last_created_at=None,
            published={},
            skipped={},
        ),
        InstanceOut(
            instance=XZRCU.inbox_source,
            institution_id="xzrcu",
            mapped=True,
            messages=3,
            last_message_id=17,
            last_created_at=CREATED,
            published={"LoanIssued": 2},
            skipped={"LoanX": 1},
        ),
    ]


async def test_an_instance_that_left_the_mapping_keeps_what_it_sent() -> None:
    store = await store_with_messages_of(XZRCU.inbox_source, "xzrcu")
    [shown] = await views.instances(store, FineractMapping())
    assert (shown.instance, shown.mapped, shown.messages) == (XZRCU.inbox_source, False, 3)


def test_the_openapi_document_describes_the_instances() -> None:
    # Never started: the document needs neither Kafka nor PostgreSQL.
    app = build(FineractSettings(namespace="openapi", kafka_security="none"))
    document = app.app.openapi()
    answer = document["paths"]["/instances"]["get"]["responses"]["200"]["content"]
    items = answer["application/json"]["schema"]["items"]
    assert items == {"$ref": "#/components/schemas/InstanceOut"}
    described = document["components"]["schemas"]["InstanceOut"]
    assert set(described["required"]) == set(InstanceOut.model_fields)
    assert {"type": "null"} in described["properties"]["last_message_id"]["anyOf"]
