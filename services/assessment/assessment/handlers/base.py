"""What every handler of assessment is bound to: the reference data, the platform clock, how
notices leave, and whether each batch is evaluated at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from shared.reference import ReferenceData

if TYPE_CHECKING:
    from assessment.handlers.notices import Postman

Now = Callable[[], datetime]
References = Callable[[], ReferenceData]


class HandlerBase:
    """Without `evaluate_each_batch` (a rebuild), consumers store facts alone; the next daily
    re-evaluation counts every enterprise at once, as it would have been counted live."""

    def __init__(
        self,
        reference: References,
        now: Now,
        postman: Postman | None = None,
        evaluate_each_batch: bool = True,
    ) -> None:
        self.reference = reference
        self.now = now
        self.postman = postman
        self.evaluate_each_batch = evaluate_each_batch
