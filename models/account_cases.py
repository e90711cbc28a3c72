"""ACC-5 ownership disputes, ACC-6 compromise reports, ACC-7 termination requests."""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class DisputeState(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class OwnershipDispute(Base, table=True):
    __tablename__ = "ownership_disputes"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    complaint: str = Field(sa_type=sa.Text(), nullable=False)
    state: DisputeState = Field(default=DisputeState.OPEN, sa_type=sa.String(16), nullable=False)
    froze_account: bool = Field(nullable=False)
    standing_before: str = Field(sa_type=sa.String(16), nullable=False)
    opened_by: str = Field(sa_type=sa.String(200), nullable=False)
    opened_at: datetime = timestamp_field(nullable=False)
    winner: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    resolution_note: str | None = Field(default=None, sa_type=sa.Text(), nullable=True)
    resolved_by: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    resolved_at: datetime | None = timestamp_field(default=None, nullable=True)


class ReportState(StrEnum):
    SUBMITTED = "SUBMITTED"
    INCOMPLETE = "INCOMPLETE"
    IDENTITY_VERIFIED = "IDENTITY_VERIFIED"
    HANDLED = "HANDLED"


class CompromiseReport(Base, table=True):
    """ACC-6. Timestamps show when the customer reported and when staff handled it, since
    losses before handling are the customer's."""

    __tablename__ = "compromise_reports"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    what: list[str] = Field(sa_type=sa.JSON(), nullable=False)
    description: str = Field(sa_type=sa.Text(), nullable=False)
    evidence: str | None = Field(default=None, sa_type=sa.Text(), nullable=True)
    requested_actions: str | None = Field(default=None, sa_type=sa.Text(), nullable=True)
    state: ReportState = Field(sa_type=sa.String(20), nullable=False)
    reported_by: str = Field(sa_type=sa.String(200), nullable=False)
    reported_at: datetime = timestamp_field(nullable=False)
    identity_verified_at: datetime | None = timestamp_field(default=None, nullable=True)
    handled_at: datetime | None = timestamp_field(default=None, nullable=True)
    handled_by: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)


class Ground(StrEnum):
    """ACC-7 and TRM-1/2/3/7: why a customer asks to end the agreement."""

    CONVENIENCE = "CONVENIENCE"
    SERVICE_FAILURE = "SERVICE_FAILURE"
    REPUTATION = "REPUTATION"
    DISSOLUTION = "DISSOLUTION"
    FORCE_MAJEURE = "FORCE_MAJEURE"


class TerminationRequest(Base, table=True):
    __tablename__ = "termination_requests"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    ground: Ground = Field(sa_type=sa.String(20), nullable=False)
    reason: str = Field(sa_type=sa.Text(), nullable=False)
    dissolution_date: date | None = Field(default=None, nullable=True)
    effective_on: date = Field(nullable=False)
    late: bool = Field(nullable=False)
    filed_by: str = Field(sa_type=sa.String(200), nullable=False)
    filed_at: datetime = timestamp_field(nullable=False)
