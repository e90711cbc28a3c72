"""ENF-4 measures taken on an enforcement case (issue 12). A measure cites the delivered notice
that announced it (ENF-2); lifting one records who lifted it and why (ENF-4: audited with the
staff member and reason). ``app_ids`` empty means the whole account (every AppID)."""

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class MeasureKind(StrEnum):
    REQUIRE_CONTENT_CHANGE = "REQUIRE_CONTENT_CHANGE"
    RESTRICT = "RESTRICT"
    SUSPEND = "SUSPEND"
    FREEZE_ACCOUNT = "FREEZE_ACCOUNT"
    TERMINATE = "TERMINATE"
    FORFEIT_PREPAYMENT = "FORFEIT_PREPAYMENT"
    OTHER_LIABILITY = "OTHER_LIABILITY"


class Measure(Base, table=True):
    __tablename__ = "measures"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    case_id: uuid.UUID = Field(foreign_key="enforcement_cases.id", index=True, nullable=False)
    notice_id: uuid.UUID = Field(foreign_key="notices.id", nullable=False)
    kind: MeasureKind = Field(sa_type=sa.String(32), nullable=False)
    app_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON(), nullable=False)
    # RESTRICT: the capabilities (permission vocabulary) the account's principals lose.
    capabilities: list[str] = Field(default_factory=list, sa_type=sa.JSON(), nullable=False)
    reason: str = Field(sa_type=sa.Text(), nullable=False)
    # What it rests on, as the case cited it when applied: clauses, and a regulator's order.
    basis: list[str] = Field(default_factory=list, sa_type=sa.JSON(), nullable=False)
    # REQUIRE_CONTENT_CHANGE: by when the content must change.
    deadline: datetime | None = timestamp_field(default=None, nullable=True)
    # ACC-5: the ownership dispute whose freeze this is (lifted when the dispute is resolved).
    dispute_id: uuid.UUID | None = Field(default=None, foreign_key="ownership_disputes.id", nullable=True)
    effective_at: datetime = timestamp_field(nullable=False)
    applied_by: str = Field(sa_type=sa.String(200), nullable=False)
    # FORFEIT_PREPAYMENT: how much the forfeiture entry took, in fen.
    amount_fen: int | None = Field(default=None, sa_type=sa.BigInteger(), nullable=True)
    lifted_at: datetime | None = timestamp_field(default=None, nullable=True)
    lifted_by: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    lift_reason: str | None = Field(default=None, sa_type=sa.Text(), nullable=True)
