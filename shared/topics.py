"""Every Kafka topic of the platform, declared once: name, partitions, cleanup policy.

`make up` and the test fixtures create exactly these (the broker never creates topics by
itself). Bank topics follow the reference data: one per institution.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.campaigns import CampaignBook

ROSTER_EVENTS = "roster.events"
MATCHMAKING_EVENTS = "matchmaking.events"
LEDGER_EVENTS = "ledger.events"
ASSESSMENT_ATTAINMENT = "assessment.attainment"
ASSESSMENT_ESCALATIONS = "assessment.escalations"
DEAD_LETTER = "platform.deadletter"

# No braces: FastStream reads `{...}` in a pattern as a path parameter.
BANK_TOPIC_PATTERN = r"bank\.[a-z][a-z0-9-]+\.events$"
FOREVER = -1


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 3
    compacted: bool = False
    retention_ms: int = FOREVER

    def config(self) -> dict[str, str]:
        return {
            "cleanup.policy": "compact" if self.compacted else "delete",
            "retention.ms": str(self.retention_ms),
        }


def platform_topics(reference: CampaignBook, partitions: int = 3) -> list[TopicSpec]:
    """The campaign's history is its evidence: event topics are kept forever. `partitions`:
    how many each event topic has (more spread one consumer group over more replicas);
    dead letters keep one, in the order they were refused."""
    return [
        TopicSpec(ROSTER_EVENTS, partitions),
        TopicSpec(MATCHMAKING_EVENTS, partitions),
        TopicSpec(LEDGER_EVENTS, partitions),
        TopicSpec(ASSESSMENT_ATTAINMENT, partitions, compacted=True),
        TopicSpec(ASSESSMENT_ESCALATIONS, partitions),
        TopicSpec(DEAD_LETTER, partitions=1),
        *(TopicSpec(reference.bank_topic(i.id), partitions) for i in reference.institutions),
    ]
