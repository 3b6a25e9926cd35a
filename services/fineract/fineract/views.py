"""What `/instances` shows: each Fineract instance's messages, the last one (its MessageV1 id),
and the contract events published and the Fineract types skipped, per type. Read only."""

from __future__ import annotations

from typing import Any

from fineract.handlers import PUBLISHED, SKIPPED
from fineract.storage import Store


async def instances(store: Store) -> list[dict[str, Any]]:
    counted, progressed = await store.tallies.all()
    shown = []
    for progress in progressed:
        mine = [t for t in counted if t.instance == progress.instance]
        shown.append(
            {
                "instance": progress.instance,
                "institution_id": progress.institution_id,
                "messages": progress.messages,
                "last_message_id": progress.last_message_id,
                "last_created_at": progress.last_created_at.isoformat(),
                "published": {t.event_type: t.count for t in mine if t.outcome == PUBLISHED},
                "skipped": {t.event_type: t.count for t in mine if t.outcome == SKIPPED},
            }
        )
    return shown
