"""Facts staff record about the vendor's side (issue 12): RTC outages (TRM-2: a failure over
5 × 24 h lets the customer terminate) and force-majeure events (FM-1: deadlines against the
customer pause while one lasts; over a month, TRM-7). Both are service-wide, not per account.
``ended_at`` None means still going on."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class Outage(Base, table=True):
    __tablename__ = "outages"

    started_at: datetime = timestamp_field(nullable=False, index=True)
    ended_at: datetime | None = timestamp_field(default=None, nullable=True)
    description: str = Field(sa_type=sa.Text(), nullable=False)
    recorded_by: str = Field(sa_type=sa.String(200), nullable=False)


class ForceMajeureEvent(Base, table=True):
    __tablename__ = "force_majeure_events"

    kind: str = Field(sa_type=sa.String(100), nullable=False)
    started_at: datetime = timestamp_field(nullable=False, index=True)
    ended_at: datetime | None = timestamp_field(default=None, nullable=True)
    description: str = Field(sa_type=sa.Text(), nullable=False)
    recorded_by: str = Field(sa_type=sa.String(200), nullable=False)
