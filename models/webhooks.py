"""Webhook endpoints and their deliveries (issue 14, CONTRACT.md "Webhooks").

An endpoint belongs to one account. Its signing secret is stored encrypted with the data key
(AES-256-GCM, the ACC-4 mechanism), because Accord must read it back to sign each request;
the plain secret is shown once, on create and on rotate.

A delivery is one event for one endpoint: written by the sweep's fan-out from the account-event
outbox (``account_events.fanned_out_at`` marks an event done), then sent by the sweep with
retries. ``leased_until`` (real time) is how a sweep claims a delivery while it sends outside
any transaction: a sweep killed mid-send leaves a lease that simply expires."""

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookEndpoint(Base, table=True):
    __tablename__ = "webhook_endpoints"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    url: str = Field(sa_type=sa.String(2048), nullable=False)
    # Event types delivered; empty means all.
    events: list[str] = Field(default_factory=list, sa_type=sa.JSON(), nullable=False)
    secret_encrypted: str = Field(sa_type=sa.String(200), nullable=False)
    disabled_at: datetime | None = timestamp_field(default=None, nullable=True)
    disabled_reason: str | None = Field(default=None, sa_type=sa.String(300), nullable=True)
    # Since when every attempt has failed (None: the last attempt succeeded, or none was made).
    failing_since: datetime | None = timestamp_field(default=None, nullable=True)
    created_by: str = Field(sa_type=sa.String(200), nullable=False)


class WebhookDelivery(Base, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.UniqueConstraint("endpoint_id", "event_id"),)

    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoints.id", index=True, nullable=False)
    event_id: uuid.UUID = Field(foreign_key="account_events.id", index=True, nullable=False)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    event_type: str = Field(sa_type=sa.String(64), nullable=False)
    state: DeliveryState = Field(default=DeliveryState.PENDING, sa_type=sa.String(20), nullable=False)
    attempts: int = Field(default=0, nullable=False)
    last_status_code: int | None = Field(default=None, nullable=True)
    last_error: str | None = Field(default=None, sa_type=sa.String(300), nullable=True)
    last_attempt_at: datetime | None = timestamp_field(default=None, nullable=True)
    next_attempt_at: datetime | None = timestamp_field(default=None, nullable=True, index=True)
    delivered_at: datetime | None = timestamp_field(default=None, nullable=True)
    leased_until: datetime | None = timestamp_field(default=None, nullable=True)
