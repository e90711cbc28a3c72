"""NTC-1 / NTC-4: every notice with its channel, addressee, content, send and deemed-delivery
times. ``account_id`` None is an announcement to every customer.

Emailed notices are an outbox: the row is written in the transaction that decides to send it,
and ``sent_at``/``delivered_at`` are filled once the mail server accepted it (NTC-1: an
electronic notice is delivered when sent successfully), so a rolled-back decision sends nothing
and a mail server that is down delays delivery instead of losing the notice."""

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class NoticeChannel(StrEnum):
    IN_PERSON = "IN_PERSON"
    WEB_ANNOUNCEMENT = "WEB_ANNOUNCEMENT"
    ELECTRONIC = "ELECTRONIC"
    MAIL = "MAIL"


class NoticePurpose(StrEnum):
    """What delivery sets in motion (the deadline that runs from it)."""

    BILL = "BILL"  # BIL-5: the dispute window
    PAYMENT_DUE = "PAYMENT_DUE"  # PRE-3 / PRE-4: the 5 working days to pay or top up
    PRICE_CHANGE = "PRICE_CHANGE"  # NTC-2: the 7 days before the new price applies to the account


class Notice(Base, table=True):
    __tablename__ = "notices"

    account_id: uuid.UUID | None = Field(default=None, foreign_key="accounts.id", index=True, nullable=True)
    channel: NoticeChannel = Field(sa_type=sa.String(20), nullable=False)
    addressee: str = Field(sa_type=sa.String(300), nullable=False)
    subject: str = Field(sa_type=sa.String(300), nullable=False)
    body: str = Field(sa_type=sa.Text(), nullable=False)
    sent_at: datetime | None = timestamp_field(default=None, nullable=True)
    delivered_at: datetime | None = timestamp_field(default=None, nullable=True)
    sent_by: str = Field(sa_type=sa.String(200), nullable=False)
    # The outbox: set for notices that go out by email.
    email_to: str | None = Field(default=None, sa_type=sa.String(254), nullable=True)
    purpose: NoticePurpose | None = Field(default=None, sa_type=sa.String(20), nullable=True)
    bill_id: uuid.UUID | None = Field(default=None, foreign_key="bills.id", index=True, nullable=True)
    attempts: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
    last_error: str | None = Field(default=None, sa_type=sa.String(500), nullable=True)
    # ENF-2: the enforcement case a notice belongs to (a measure needs a delivered one).
    case_id: uuid.UUID | None = Field(default=None, foreign_key="enforcement_cases.id", index=True, nullable=True)
    # NTC-4: when a MAIL notice was posted; delivery is deemed from it.
    posted_at: datetime | None = timestamp_field(default=None, nullable=True)
