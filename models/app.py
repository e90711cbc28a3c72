"""APP-1 to APP-4: AppIDs, their declared scope, secrets, scope extensions and brand use."""

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class App(Base, table=True):
    __tablename__ = "apps"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    app_id: str = Field(sa_type=sa.String(32), unique=True, nullable=False)
    name: str = Field(sa_type=sa.String(100), nullable=False)
    terminals: list[str] = Field(sa_type=sa.JSON(), nullable=False)
    scenarios: list[str] = Field(sa_type=sa.JSON(), nullable=False)
    standing: str = Field(default="NORMAL", sa_type=sa.String(16), nullable=False)
    secret_digest: str = Field(sa_type=sa.String(64), nullable=False)
    # APP-2: after a rotation the previous secret stays valid until this instant (0-24 h).
    previous_secret_digest: str | None = Field(default=None, sa_type=sa.String(64), nullable=True)
    previous_secret_valid_until: datetime | None = timestamp_field(default=None, nullable=True)


class RequestState(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ScopeExtensionRequest(Base, table=True):
    """APP-1: the holder asks; only staff grant, recording their written permission."""

    __tablename__ = "scope_extension_requests"

    app_id: uuid.UUID = Field(foreign_key="apps.id", index=True, nullable=False)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    terminals: list[str] = Field(sa_type=sa.JSON(), nullable=False)
    scenarios: list[str] = Field(sa_type=sa.JSON(), nullable=False)
    reason: str = Field(sa_type=sa.Text(), nullable=False)
    state: RequestState = Field(default=RequestState.PENDING, sa_type=sa.String(16), nullable=False)
    permission_reference: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    decided_by: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    decided_at: datetime | None = timestamp_field(default=None, nullable=True)


class BrandUseRequest(Base, table=True):
    """APP-4: prior written approval to use the vendor's trademarks in promotion."""

    __tablename__ = "brand_use_requests"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    material: str = Field(sa_type=sa.Text(), nullable=False)
    description: str = Field(sa_type=sa.Text(), nullable=False)
    state: RequestState = Field(default=RequestState.PENDING, sa_type=sa.String(16), nullable=False)
    decided_by: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    decided_at: datetime | None = timestamp_field(default=None, nullable=True)
    decision_note: str | None = Field(default=None, sa_type=sa.Text(), nullable=True)
