"""Rows of the shared rate budgets (services/ratelimit.py)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class RateEvent(Base, table=True):
    """Shared rate budgets (e.g. registerAccount per client address), visible to every process."""

    __tablename__ = "rate_events"
    __table_args__ = (sa.Index("ix_rate_events_key_at", "key", "at"),)

    key: str = Field(sa_type=sa.String(200), nullable=False)
    at: datetime = timestamp_field(nullable=False)
