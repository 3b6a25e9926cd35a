"""Events of the ledger service (工作台帐), on `ledger.events`, key = unit id."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from shared.contracts import EventData
from shared.contracts.types import CampaignId, Period, UnitId


class LedgerSubmitted(EventData):
    """A unit submitted its monthly ledger: an immutable snapshot, versioned."""

    campaign_id: CampaignId = None

    unit_id: UnitId
    period: Period
    version: int = Field(ge=1, description="1 for the first submission, one more per resubmission.")
    row_count: int = Field(ge=0, description="Rows of the ledger (one per pairing or outcome).")
    credit_amount_wan: Decimal = Field(ge=0, description="Total credit granted, 万元.")
    loan_amount_wan: Decimal = Field(ge=0, description="Total loans issued, 万元.")
    submitted_at: datetime = Field(description="When it was submitted.")
    late: bool = Field(description="Submitted after the due time.")
    reason: str | None = Field(default=None, description="Why a resubmission was needed.")


class LedgerOverdue(EventData):
    """The due time passed without a submission (exactly once per unit and month, also
    across restarts; a later submission is `LedgerSubmitted` with `late` true)."""

    campaign_id: CampaignId = None

    unit_id: UnitId
    period: Period
    due_at: datetime = Field(description="The first instant the ledger was late.")


class SpecialReportMissing(EventData):
    """A month closed (at the ledger's due time) without the unit's required special
    information report (专题信息); once per unit and month."""

    campaign_id: CampaignId = None

    unit_id: UnitId
    period: Period
    due_at: datetime | None = Field(default=None, description="When the month closed.")
