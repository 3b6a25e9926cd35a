"""What the adapter consumes: the Fineract topics of its mapping, records in Avro single-object
encoding (not CloudEvents), read through its own `accept`: decoded and translated before the
batch's transaction, so that an undecodable or unmappable record is dead-lettered with the
reason like any other bad record."""

from __future__ import annotations

from fineract.domain.avro import SchemaSet, UndecodableError
from fineract.domain.mapping import FineractMapping, UnmappableError, translate
from fineract.domain.messages import decode_message
from fineract.handlers import Handlers
from fineract.translated import TranslatedMessage
from shared.consumer import Accept, ConsumedRecord, Message, Registry
from shared.contracts import EventData
from shared.envelope import DeadLetterReason, Envelope, Rejection
from shared.service import Runtime

FINERACT_TYPE_PREFIX = "org.apache.fineract."


def accept_fineract(
    mapping: FineractMapping, schemas: SchemaSet, physical_topic: dict[str, str]
) -> Accept:
    """`physical_topic` maps each topic as read (namespaced) to the mapping's name for it."""

    def accept(record: ConsumedRecord) -> Message[EventData] | Rejection:
        try:
            message = decode_message(schemas, record.value)
        except UndecodableError as error:
            return Rejection(reason=DeadLetterReason.UNDECODABLE, detail=str(error))
        topic = physical_topic.get(record.topic, record.topic)
        instance = mapping.instance(topic, message.tenant_id)
        if instance is None:
            return Rejection(
                reason=DeadLetterReason.UNMAPPABLE,
                detail=f"no instance in the mapping for topic {topic!r}, "
                f"tenant {message.tenant_id!r}",
            )
        try:
            translation = translate(message, instance)
        except UnmappableError as error:
            return Rejection(reason=DeadLetterReason.UNMAPPABLE, detail=str(error))
        payload = TranslatedMessage.of(translation, instance)
        envelope = Envelope(
            id=message.idempotency_key,
            source=instance.inbox_source,
            type=FINERACT_TYPE_PREFIX + message.type,
            time=message.created_at,
            data=payload.model_dump(mode="json"),
        )
        return Message(envelope, payload)

    return accept


def subscribe(
    runtime: Runtime, handlers: Handlers, mapping: FineractMapping, schemas: SchemaSet
) -> None:
    if not mapping.topics:
        return  # nothing mapped: the adapter idles
    physical = {runtime.settings.topic(t): t for t in mapping.topics}
    runtime.subscribe(
        "intake",
        Registry({TranslatedMessage: handlers.apply_fineract_events}),
        topics=mapping.topics,
        accept=accept_fineract(mapping, schemas, physical),
        audited=True,  # writes from outside the platform: every one is audited
    )
