"""The adapter's store in memory, for handler tests: the same repository as `SqlStore`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from fineract.storage import InstanceProgress, Tally


class InMemoryTallies:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], int] = {}
        self.progress: dict[str, InstanceProgress] = {}

    async def add(self, counts: Sequence[Tally], progress: Sequence[InstanceProgress]) -> None:
        for t in counts:
            key = (t.instance, t.outcome, t.event_type)
            self.counts[key] = self.counts.get(key, 0) + t.count
        for p in progress:
            kept = self.progress.get(p.instance)
            if kept is None:
                self.progress[p.instance] = p
                continue
            newer = p if p.last_message_id > kept.last_message_id else kept
            self.progress[p.instance] = replace(newer, messages=kept.messages + p.messages)

    async def all(self) -> tuple[list[Tally], list[InstanceProgress]]:
        return (
            [Tally(*key, n) for key, n in sorted(self.counts.items())],
            [self.progress[k] for k in sorted(self.progress)],
        )


class InMemoryStore:
    def __init__(self) -> None:
        self.tallies = InMemoryTallies()
