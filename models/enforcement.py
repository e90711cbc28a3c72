"""ENF-1 enforcement cases (the first slice: what APP-3 and APP-5 need to be recorded)."""

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class CaseSource(StrEnum):
    SELF_DISCOVERED = "SELF_DISCOVERED"
    REGULATOR = "REGULATOR"
    RIGHTS_HOLDER_COMPLAINT = "RIGHTS_HOLDER_COMPLAINT"
    AUTOMATIC = "AUTOMATIC"


class EnforcementCase(Base, table=True):
    __tablename__ = "enforcement_cases"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    source: CaseSource = Field(sa_type=sa.String(32), nullable=False)
    clauses: list[str] = Field(sa_type=sa.JSON(), nullable=False)
    app_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON(), nullable=False)
    description: str = Field(sa_type=sa.Text(), nullable=False)
    # ENF-3: a case brought by a regulator cites its administrative order.
    admin_order_authority: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    admin_order_number: str | None = Field(default=None, sa_type=sa.String(100), nullable=True)
    opened_by: str = Field(sa_type=sa.String(200), nullable=False)
    opened_at: datetime = timestamp_field(nullable=False)
    closed_at: datetime | None = timestamp_field(default=None, nullable=True)
