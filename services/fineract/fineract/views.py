"""What `/instances` shows: every instance the mapping configures (before its first message
too) and every one that sent messages, with its messages, the last one (its MessageV1 id), and
the contract events published and the Fineract types skipped, per type. Read only."""

from __future__ import annotations

from fineract.domain.mapping import FineractMapping
from fineract.handlers import PUBLISHED, SKIPPED
from fineract.schemas import InstanceOut
from fineract.storage import Store


async def instances(store: Store, mapping: FineractMapping) -> list[InstanceOut]:
    counted, progressed = await store.tallies.all()
    seen = {p.instance: p for p in progressed}
    configured = {i.inbox_source: i.institution_id for i in mapping.instances}
    shown = []
    for instance in sorted(seen.keys() | configured.keys()):
        progress = seen.get(instance)
        mine = [t for t in counted if t.instance == instance]
        shown.append(
            InstanceOut(
                instance=instance,
                institution_id=progress.institution_id if progress else configured[instance],
                mapped=instance in configured,
                messages=progress.messages if progress else 0,
                last_message_id=progress.last_message_id if progress else None,
                last_created_at=progress.last_created_at if progress else None,
                published={t.event_type: t.count for t in mine if t.outcome == PUBLISHED},
                skipped={t.event_type: t.count for t in mine if t.outcome == SKIPPED},
            )
        )
    return shown
