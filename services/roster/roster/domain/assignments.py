"""Which institution cultivates an enterprise, and since when (contract §4: a bank's
nomination, the central sub-branch, or a pairing in matchmaking assigns it).

Assignments are per campaign (the store keeps them under their campaign's id): in each
campaign an enterprise is assigned to an institution once; the day it counts from is the
earliest day any of those ways assigned it there, whatever order the requests and events
arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from shared.contracts.roster import AssignmentWay

Pair = tuple[str, str]


@dataclass(frozen=True)
class Assignment:
    uscc: str
    institution_id: str
    assigned_on: date
    way: AssignmentWay

    @property
    def pair(self) -> Pair:
        return (self.uscc, self.institution_id)

    def precedes(self, other: Assignment) -> bool:
        """Earlier; on the same day, the way first in alphabetical order (a fixed rule, so
        that two ways on one day keep the same one in either order)."""
        return (self.assigned_on, self.way.value) < (other.assigned_on, other.way.value)


@dataclass(frozen=True)
class Pairing:
    """A pairing matchmaking reported (a fact: it names no campaign)."""

    uscc: str
    institution_id: str
    matched_on: date
    county_code: str | None
    """The county matchmaking gave, if any."""

    def assignment(self) -> Assignment:
        return Assignment(self.uscc, self.institution_id, self.matched_on, AssignmentWay.MATCH)


@dataclass(frozen=True)
class AssignmentChange:
    """An assignment the store now holds in a campaign that it did not before."""

    campaign_id: str
    assignment: Assignment
    created: bool
    """A new (enterprise, institution) pair; otherwise an earlier day for a known pair."""
    announced: bool
    """The enterprise is on file, so `EnterpriseAssigned` is published now; otherwise it is
    published when a nomination puts the enterprise on file."""


def kept(known: Assignment | None, arriving: Assignment) -> Assignment:
    """The assignment of a pair once `arriving` is known too."""
    return arriving if known is None or arriving.precedes(known) else known


def earliest(assignments: Iterable[Assignment]) -> dict[Pair, Assignment]:
    """One assignment per pair, the one `kept` keeps."""
    result: dict[Pair, Assignment] = {}
    for assignment in assignments:
        result[assignment.pair] = kept(result.get(assignment.pair), assignment)
    return result
