"""Inputs and payloads of notices, maintenance, outages and force majeure (issue 12)."""

from datetime import datetime

import strawberry

from schema.notices import NoticeChannel
from schema.payloads import Payload


@strawberry.input(description="A notice to one account, or with no account to every customer (NTC-1, NTC-4).")
class SendNoticeInput:
    account_id: strawberry.ID | None = None
    channel: NoticeChannel
    subject: str
    body: str
    case_id: strawberry.ID | None = strawberry.field(
        default=None, description="The enforcement case of the account the notice belongs to (ENF-2)."
    )
    posted_at: datetime | None = strawberry.field(
        default=None, description="MAIL: when posted; delivery is deemed from it (default: now) (NTC-1)."
    )


@strawberry.input(description="Maintenance to announce (NTC-3).")
class MaintenanceInput:
    starts_at: datetime
    ends_at: datetime
    scheduled: bool = strawberry.field(description="Routine work, announced at least 24 hours ahead (NTC-3).")
    cause: str = strawberry.field(description="Why; unscheduled work must carry its cause (NTC-3).")


@strawberry.input(description="An RTC outage (TRM-2).")
class OutageInput:
    started_at: datetime
    ended_at: datetime | None = strawberry.field(default=None, description="Null: still going on (TRM-2, FM-1).")
    description: str


@strawberry.input(description="A force-majeure event (FM-1).")
class ForceMajeureInput:
    kind: str = strawberry.field(description="e.g. earthquake, typhoon, epidemic, government action.")
    started_at: datetime
    ended_at: datetime | None = strawberry.field(default=None, description="Null: still going on (TRM-2, FM-1).")
    description: str


@strawberry.input(description="The end of a force-majeure event that was still going on (FM-1).")
class EndForceMajeureInput:
    id: strawberry.ID
    ended_at: datetime


@strawberry.type
class OutagePayload(Payload):
    id: strawberry.ID | None = None


@strawberry.type
class ForceMajeurePayload(Payload):
    id: strawberry.ID | None = None
    deadlines_moved: int = strawberry.field(
        default=0, description="How many running deadlines against customers it moved (FM-1)."
    )
