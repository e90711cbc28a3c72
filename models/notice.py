"""NTC-1 / NTC-4: every notice with its channel, addressee, content, send and deemed-delivery
times. ``account_id`` None is an announcement to every customer."""

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


class Notice(Base, table=True):
    __tablename__ = "notices"

    account_id: uuid.UUID | None = Field(default=None, foreign_key="accounts.id", index=True, nullable=True)
    channel: NoticeChannel = Field(sa_type=sa.String(20), nullable=False)
    addressee: str = Field(sa_type=sa.String(300), nullable=False)
    subject: str = Field(sa_type=sa.String(300), nullable=False)
    body: str = Field(sa_type=sa.Text(), nullable=False)
    sent_at: datetime = timestamp_field(nullable=False)
    delivered_at: datetime = timestamp_field(nullable=False)
    sent_by: str = Field(sa_type=sa.String(200), nullable=False)
