"""What every handler of assessment is bound to: the campaigns, the platform clock, how
notices leave, and whether each batch is evaluated at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from assessment.domain.campaigns import Lenses
from shared.campaigns import CampaignBook, book_of
from shared.reference import ReferenceData

if TYPE_CHECKING:
    from assessment.handlers.notices import Postman

Now = Callable[[], datetime]
Campaigns = Callable[[], CampaignBook | ReferenceData]
"""The campaign book as it is now (re-read when campaign files change); one campaign's
reference data stands for the book of that campaign alone."""


class HandlerBase:
    """Without `evaluate_each_batch` (a rebuild), consumers store facts alone; the next daily
    re-evaluation counts every enterprise at once, as it would have been counted live."""

    def __init__(
        self,
        campaigns: Campaigns,
        now: Now,
        postman: Postman | None = None,
        evaluate_each_batch: bool = True,
    ) -> None:
        self.campaigns = campaigns
        self.now = now
        self.postman = postman
        self.evaluate_each_batch = evaluate_each_batch
        self._seen: CampaignBook | ReferenceData | None = None
        self._lenses: Lenses | None = None

    def lenses(self) -> Lenses:
        """The campaigns as the rules read them, made again only when the book changed."""
        found = self.campaigns()
        if self._lenses is None or found is not self._seen:
            book = found if isinstance(found, CampaignBook) else book_of([found])
            self._seen, self._lenses = found, Lenses(book)
        return self._lenses

    def book(self) -> CampaignBook:
        return self.lenses().book
