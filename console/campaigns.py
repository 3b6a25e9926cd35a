"""`firstloan campaign add FILE`: a new campaign (next year's, or another city's) known to
the running platform without a restart.

The file is checked alone and with every campaign already known (ids unique, no overlap in
one region); every institution new to the platform is onboarded as `firstloan bank add`
would (principal, topic, ACLs) before the file is written, so a bank the services know of
can always publish. The services pick it up within `campaigns_reload_seconds`. Adding the
same file again changes nothing; a different file under a known id is refused unless
replacing is asked for.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from console.onboarding import (
    OnboardingError,
    ensure_principal,
    topic_and_rights,
    write_atomically,
)
from shared.campaigns import book_of, load_campaigns
from shared.kafka_security import bank_principal
from shared.reference import ReferenceData, ReferenceDataError, load_reference
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class AddedCampaign:
    campaign: ReferenceData
    file: Path
    new_institutions: tuple[str, ...]
    added: bool  # False: the same file was already there


def add_campaign(
    settings: ServiceSettings, directory: Path, file: Path, *, replace: bool = False
) -> AddedCampaign:
    try:
        campaign = load_reference(file)
    except (OSError, ReferenceDataError) as error:
        raise OnboardingError(str(error)) from error
    target = directory / f"{campaign.campaign.id}.toml"
    text = file.read_text(encoding="utf-8")
    if target.exists():
        if target.read_text(encoding="utf-8") == text:
            return AddedCampaign(campaign, target, (), added=False)
        if not replace:
            raise OnboardingError(
                f"campaign {campaign.campaign.id} exists with other content ({target}); "
                "--replace to change it"
            )
    known = load_campaigns(directory) if any(directory.glob("*.toml")) else None
    others = [c for c in known.campaigns if c.campaign.id != campaign.campaign.id] if known else []
    try:
        book_of([*others, campaign])
    except ReferenceDataError as error:
        raise OnboardingError(str(error)) from error
    already = known.institution_ids if known else frozenset()
    new = tuple(sorted(i.id for i in campaign.institutions if i.id not in already))
    for institution_id in new:
        ensure_principal(settings, bank_principal(institution_id))
        asyncio.run(topic_and_rights(settings, f"bank.{institution_id}.events", institution_id))
    directory.mkdir(parents=True, exist_ok=True)
    write_atomically(target, text)
    return AddedCampaign(campaign, target, new, added=True)
