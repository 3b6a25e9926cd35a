"""How the adapter's read views are shown as JSON."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class InstanceOut(BaseModel):
    instance: str = Field(
        description="The instance's topic and tenant, as its messages' inbox source.",
        examples=["urn:fineract:fineract.xzrcu.external-events:default"],
    )
    institution_id: str = Field(description="The bank whose events its messages become.")
    mapped: bool = Field(
        description="Whether the mapping in force configures it (false: it sent messages and "
        "has since left the mapping)."
    )
    messages: int = Field(ge=0, description="Messages translated; 0: none has arrived yet.")
    last_message_id: int | None = Field(
        description="The highest `MessageV1.id` translated; null before the first message."
    )
    last_created_at: datetime | None = Field(
        description="When Fineract created that message; null before the first message."
    )
    published: dict[str, int] = Field(description="Contract events published, per type.")
    skipped: dict[str, int] = Field(description="Fineract event types skipped, per type.")
