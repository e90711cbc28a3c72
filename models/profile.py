"""ACC-2 profile change records, ACC-4 real-name submissions."""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class ProfileChange(Base, table=True):
    """One changed field: when it changed in reality (``effective_on``), when it was reported,
    and whether the report came later than 5 working days after (``late``, visible to staff)."""

    __tablename__ = "profile_changes"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    field: str = Field(sa_type=sa.String(32), nullable=False)
    old_value: str | None = Field(default=None, sa_type=sa.String(500), nullable=True)
    new_value: str = Field(sa_type=sa.String(500), nullable=False)
    effective_on: date = Field(nullable=False)
    reported_at: datetime = timestamp_field(nullable=False)
    reported_by: str = Field(sa_type=sa.String(200), nullable=False)
    late: bool = Field(nullable=False)


class SubmissionState(StrEnum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"


class RealNameSubmission(Base, table=True):
    """ACC-4. The subject number (resident ID or credit code) is stored encrypted only."""

    __tablename__ = "real_name_submissions"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    subject_type: str = Field(sa_type=sa.String(16), nullable=False)
    subject_name: str = Field(sa_type=sa.String(200), nullable=False)
    subject_number_encrypted: str = Field(sa_type=sa.String(200), nullable=False)
    state: SubmissionState = Field(default=SubmissionState.PENDING, sa_type=sa.String(16), nullable=False)
    submitted_at: datetime = timestamp_field(nullable=False)
    reviewed_at: datetime | None = timestamp_field(default=None, nullable=True)
    reviewed_by: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    reason: str | None = Field(default=None, sa_type=sa.String(1000), nullable=True)


class DataKey(Base, table=True):
    """The development data key, generated per database when ACCORD_DATA_KEY is unset
    (production refuses to start without the setting)."""

    __tablename__ = "data_keys"

    key_b64: str = Field(sa_type=sa.String(64), nullable=False)
