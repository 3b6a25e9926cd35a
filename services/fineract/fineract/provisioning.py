"""What a mapped Fineract instance needs on Kafka, made by an operator (as admin): its topic
(the broker creates none by itself) and the rights of `shared.kafka_security.fineract_grants`:
the bank's Fineract writes it, the adapter reads it and writes that bank's topic only."""

from __future__ import annotations

from fineract.domain.mapping import FineractMapping
from shared.bus import create_topics
from shared.kafka_security import apply_grants, fineract_grants
from shared.settings import ServiceSettings
from shared.topics import TopicSpec


async def provision_instances(settings: ServiceSettings, mapping: FineractMapping) -> list[str]:
    """Idempotent; returns the (namespaced) topics."""
    await create_topics(settings, [TopicSpec(topic) for topic in mapping.topics])
    prefix = f"{settings.namespace}." if settings.namespace else ""
    await apply_grants(
        settings,
        [g for i in mapping.instances for g in fineract_grants(i.institution_id, i.topic, prefix)],
    )
    return [settings.topic(topic) for topic in mapping.topics]


def main() -> None:
    """`python -m fineract.provisioning`: the topics and rights of the configured mapping
    (nothing without one); `deploy/stack.sh` runs it after the platform's provisioning."""
    import asyncio

    from fineract.mapping_file import load_mapping
    from fineract.settings import FineractSettings

    settings = FineractSettings()
    mapping = load_mapping(settings.fineract_mapping_file)
    for topic in asyncio.run(provision_instances(settings, mapping)):
        print(f"fineract topic {topic}")


if __name__ == "__main__":
    main()
