"""BIL-1: usage as the vendor's metering reports it (quantities in integer millionths of the
product's unit). Nothing reported is ever dropped: usage outside an AppID's declared scope is
kept and flagged (APP-3)."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class UsageRecord(Base, table=True):
    __tablename__ = "usage_records"
    __table_args__ = (
        sa.Index("ix_usage_records_account_occurred", "account_id", "occurred_at"),
        # The bill run reads one month of every account's usage.
        sa.Index("ix_usage_records_occurred_at", "occurred_at"),
        # The bill run reads what it claimed one chunk of accounts at a time: by run and
        # account range, never every record the run has claimed so far (quadratic at scale).
        sa.Index("ix_usage_records_bill_run_account", "bill_run_id", "account_id"),
    )

    account_id: uuid.UUID = Field(foreign_key="accounts.id", nullable=False)
    app_id: uuid.UUID = Field(foreign_key="apps.id", index=True, nullable=False)
    product_code: str = Field(sa_type=sa.String(40), foreign_key="products.code", nullable=False)
    quantity_micros: int = Field(sa_type=sa.BigInteger(), nullable=False)
    terminal: str = Field(sa_type=sa.String(20), nullable=False)
    scenario: str = Field(sa_type=sa.String(20), nullable=False)
    occurred_at: datetime = timestamp_field(nullable=False)
    idempotency_key: str = Field(sa_type=sa.String(200), unique=True, nullable=False)
    content_digest: str = Field(sa_type=sa.String(64), nullable=False)
    within_scope: bool = Field(nullable=False)
    # ENF-5: reported for a time after its AppID was suspended or terminated: kept, flagged.
    flagged_for_review: bool = Field(default=False, nullable=False, sa_column_kwargs={"server_default": sa.false()})
    reported_by: str = Field(sa_type=sa.String(200), nullable=False)
    reported_at: datetime = timestamp_field(nullable=False)
    # BIL-1: the bill run that put this record on a bill (the account's bill of that run's
    # month); empty until then, so usage reported after its month was billed is still unbilled
    # and goes on the next bill as a late line. Continuing products (BIL-8) are billed from
    # their levels each month and are never marked.
    bill_run_id: uuid.UUID | None = Field(default=None, foreign_key="bill_runs.id", nullable=True)
