"""What assessment does with each command and each group of events it consumes, one module
per concern, each holding its handlers' own logic:

- `facts`: the events consumed (roster, bank, matchmaking, ledger) turned into facts, and
  the enterprises they touch re-evaluated;
- `ladder`: the one place that publishes figures and moves escalations (live, at
  checkpoints, from the forecast);
- `follow_through`: supervisors' commands on an escalation;
- `notices`: subscriptions, silences and the delivery of notices.

`Handlers` is all of them bound to the campaigns and the platform clock (`base`); each
concern builds on the ones it uses (notices, then the ladder, then facts), and the daily tick
here uses every one.
"""

from __future__ import annotations

from assessment.commands import KeepUpToDate
from assessment.domain.escalation import checkpoint_dates
from assessment.handlers.base import Campaigns, Now
from assessment.handlers.facts import FactHandlers, RosterEvent
from assessment.handlers.follow_through import FollowThroughHandlers
from assessment.handlers.ladder import CheckpointOutsideCampaignError
from assessment.handlers.notices import Postman, Transactions
from assessment.storage import Store
from shared.unit_of_work import UnitOfWork

__all__ = [
    "Campaigns",
    "CheckpointOutsideCampaignError",
    "Handlers",
    "Now",
    "Postman",
    "RosterEvent",
    "Transactions",
]


class Handlers(FactHandlers, FollowThroughHandlers):
    async def keep_up_to_date(self, uow: UnitOfWork[Store], command: KeepUpToDate) -> None:
        """The daily tick: a new day moves expected progress and listing dates, so every
        enterprise is re-evaluated once a day in every campaign (at once when a campaign has
        not been counted today: one just added, too); each campaign's checkpoints whose date
        has come are run (its quarter ends and its end); each begun campaign's forecasts and
        their warnings; the follow-up of each rectification past its due date."""
        await uow.store.serialize()
        book, now = self.book(), self.now()
        today = now.date()
        counted = {}
        days = await uow.store.outcomes.evaluated_days()
        if any(days.get(campaign_id) != today for campaign_id in book.ids):
            counted = await self.reassess_all(uow, now)
        for reference in book.campaigns:
            if command.run_checkpoints:
                for day in checkpoint_dates(reference):
                    if day <= today:
                        await self.checkpoint(uow, reference, day, now)
            if reference.campaign.start <= today:
                campaign_id = reference.campaign.id
                await self.refresh_forecasts(uow, reference, now, counted.get(campaign_id))
        await self.follow_up_rectifications(uow, now)
