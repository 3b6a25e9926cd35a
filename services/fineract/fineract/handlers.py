"""What the adapter does with each translated Fineract message: publish its contract events
on the bank's topic (through the outbox, in the transaction that claims the message) and
count what it became."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from fineract.storage import InstanceProgress, Store, Tally
from fineract.translated import TranslatedMessage
from shared.consumer import Message
from shared.contracts.bank import BANK_SOURCE_PREFIX
from shared.envelope import TYPE_PREFIX, Envelope
from shared.unit_of_work import UnitOfWork

PUBLISHED = "published"
SKIPPED = "skipped"


def bank_topic(institution_id: str) -> str:
    return f"bank.{institution_id}.events"


class Handlers:
    async def apply_fineract_events(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[TranslatedMessage]]
    ) -> None:
        """In Fineract's order within each instance (its message ids), whatever the order
        they were read in."""
        payloads = sorted((m.payload for m in messages), key=lambda p: (p.instance, p.message_id))
        counts: Counter[tuple[str, str, str]] = Counter()
        progress: dict[str, InstanceProgress] = {}
        for payload in payloads:
            for event in payload.events:
                uow.publish(
                    bank_topic(payload.institution_id),
                    event.key,
                    Envelope(
                        id=event.id,
                        source=BANK_SOURCE_PREFIX + payload.institution_id,
                        type=TYPE_PREFIX + event.type,
                        time=event.time,
                        subject=event.key,
                        data=event.data,
                    ),
                )
                counts[(payload.instance, PUBLISHED, event.type)] += 1
            for skipped in payload.skipped:
                counts[(payload.instance, SKIPPED, skipped)] += 1
            seen = progress.get(payload.instance)
            progress[payload.instance] = InstanceProgress(
                payload.instance,
                payload.institution_id,
                (seen.messages if seen else 0) + 1,
                payload.message_id,
                payload.created_at,
            )
        await uow.store.tallies.add(
            [Tally(i, outcome, t, n) for (i, outcome, t), n in sorted(counts.items())],
            list(progress.values()),
        )
