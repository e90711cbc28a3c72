"""ACC-3 / SEC-1: the append-only audit trail.

Rows are only ever inserted. The migration adds database triggers that refuse UPDATE and
DELETE on both SQLite and PostgreSQL, so no interface (not even a stray script) can rewrite
history.
"""

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class PrincipalKind(StrEnum):
    HOLDER = "HOLDER"
    SUB_ACCOUNT = "SUB_ACCOUNT"
    PARTNER_CLIENT = "PARTNER_CLIENT"
    STAFF = "STAFF"
    # The vendor's own usage pipeline (BIL-1): an internal client with usage:write only.
    METERING_CLIENT = "METERING_CLIENT"
    # The vendor's payment gateway (PRE-2): an internal client with payments:confirm only.
    PAYMENTS_CLIENT = "PAYMENTS_CLIENT"
    # Accord itself: the deadline sweep acting on time (deemed acceptance, PRE-5 flags).
    SYSTEM = "SYSTEM"


class AuditRecord(Base, table=True):
    __tablename__ = "audit_records"

    account_id: uuid.UUID | None = Field(default=None, foreign_key="accounts.id", index=True, nullable=True)
    principal_kind: PrincipalKind = Field(sa_type=sa.String(16), nullable=False)
    principal: str = Field(sa_type=sa.String(200), nullable=False)
    action: str = Field(sa_type=sa.String(100), nullable=False)
    target: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    outcome: str = Field(sa_type=sa.String(100), nullable=False)
    detail: str | None = Field(default=None, sa_type=sa.Text(), nullable=True)
    request_id: str | None = Field(default=None, sa_type=sa.String(64), nullable=True)
    at: datetime = timestamp_field(nullable=False, index=True)
