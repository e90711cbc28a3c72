"""The account-event outbox (issue 14): one row per thing a partner must react to, written in the
same transaction as the change that causes it, so a rolled-back change announces nothing and a
committed one is never lost. Webhook delivery and the live subscription read from here.

``seq`` orders one account's events (delivery is ordered per account where possible); the
UUIDv7 ``id`` is the event id partners de-duplicate on (``evt_<hex>`` on the wire)."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class AccountEvent(Base, table=True):
    __tablename__ = "account_events"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    type: str = Field(sa_type=sa.String(64), nullable=False)
    occurred_at: datetime = timestamp_field(nullable=False)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON(), nullable=False)
    # Set once the sweep has written this event's webhook deliveries (models/webhooks.py).
    fanned_out_at: datetime | None = timestamp_field(default=None, nullable=True, index=True)
