"""A Fineract message as the consumer hands it to the handler: what it was translated into.

The inbox claims the message's (instance, idempotency key), so a redelivered message has no
effect; its contract events keep ids derived from that key, so that a bank topic's consumers
see a repeated event as the same one too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from fineract.domain.mapping import Instance, Translation
from shared.contracts import EventData


class ContractEventOut(EventData):
    id: str
    key: str
    time: datetime
    type: str  # the contract event's name: `LoanIssued`, ...
    data: dict[str, Any]


class TranslatedMessage(EventData):
    instance: str = Field(description="The instance's (topic, tenant) as an inbox source.")
    institution_id: str
    message_id: int = Field(description="MessageV1.id: Fineract's order within the instance.")
    message_type: str
    created_at: datetime
    events: list[ContractEventOut]
    skipped: list[str] = Field(description="The Fineract types no contract event stands for.")

    @classmethod
    def of(cls, translation: Translation, instance: Instance) -> TranslatedMessage:
        message = translation.message
        return cls(
            instance=instance.inbox_source,
            institution_id=instance.institution_id,
            message_id=message.id,
            message_type=message.type,
            created_at=message.created_at,
            events=[
                ContractEventOut(
                    id=e.event_id,
                    key=e.key,
                    time=e.time,
                    type=e.data.event_name(),
                    data=e.data.model_dump(mode="json", exclude_none=True),
                )
                for e in translation.events
            ],
            skipped=list(translation.skipped),
        )
