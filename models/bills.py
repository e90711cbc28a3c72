"""BIL-2 to BIL-8, PRE-3, PRE-4: monthly bills, their lines and disputes, bills held for
unpriced usage, the daily penalty accruals and the runs. Money is integer fen."""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, money_field, timestamp_field


class BillState(StrEnum):
    ISSUED = "ISSUED"
    CONFIRMED = "CONFIRMED"
    DISPUTED = "DISPUTED"
    DEEMED_ACCEPTED = "DEEMED_ACCEPTED"
    SETTLED = "SETTLED"


class Bill(Base, table=True):
    """One bill per account and month (BIL-4: the unique key is what makes the run idempotent,
    also when two processes run it at once).

    ``delivered_at`` stays empty until its email was handed over (NTC-1); until then the bill is
    not shown to the customer and its dispute window has not started.
    """

    __tablename__ = "bills"
    # The console's page of an account's bills is keyed on (account_id, id): migration 0019.
    __table_args__ = (
        sa.UniqueConstraint("account_id", "period"),
        sa.Index("ix_bills_account_id_id", "account_id", "id"),
    )

    account_id: uuid.UUID = Field(foreign_key="accounts.id", nullable=False)
    period: date = Field(sa_type=sa.Date(), nullable=False)
    state: BillState = Field(default=BillState.ISSUED, sa_type=sa.String(20), nullable=False)
    total_fen: int = money_field(nullable=False)
    issued_at: datetime = timestamp_field(nullable=False)
    delivered_at: datetime | None = timestamp_field(default=None, nullable=True)
    dispute_deadline: datetime | None = timestamp_field(default=None, nullable=True)
    confirmed_at: datetime | None = timestamp_field(default=None, nullable=True)
    settled_at: datetime | None = timestamp_field(default=None, nullable=True)
    # PRE-4: principal deducted so far (at settlement and by later payments).
    paid_fen: int = money_field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
    # PRE-3 / PRE-4: end of the 5th working day after the payment notice's delivery.
    pay_by: datetime | None = timestamp_field(default=None, nullable=True)
    # PRE-3: the shortfall stops bearing its penalty once covered or superseded by a later bill.
    shortfall_closed_at: datetime | None = timestamp_field(default=None, nullable=True)
    # PRE-3 / PRE-4: the last day whose penalties are stored (a day that accrued nothing counts
    # too, so a later change of base never reaches back into it).
    accrued_through: date | None = Field(default=None, sa_type=sa.Date(), nullable=True)
    # PRE-5: when the sweep recorded the bill as more than 15 days overdue.
    overdue_flagged_at: datetime | None = timestamp_field(default=None, nullable=True)


class LineKind(StrEnum):
    USAGE = "USAGE"
    ADJUSTMENT = "ADJUSTMENT"  # BIL-7: the credit line of an accepted dispute


class BillLine(Base, table=True):
    __tablename__ = "bill_lines"

    bill_id: uuid.UUID = Field(foreign_key="bills.id", index=True, nullable=False)
    kind: LineKind = Field(sa_type=sa.String(20), nullable=False)
    product_code: str = Field(sa_type=sa.String(40), nullable=False)
    quantity_micros: int = Field(sa_type=sa.BigInteger(), nullable=False)
    unit_price_fen: int = money_field(nullable=False)
    discount_fen: int = money_field(nullable=False)
    amount_fen: int = money_field(nullable=False)
    description: str | None = Field(default=None, sa_type=sa.String(500), nullable=True)
    # BIL-1: the month the usage belongs to (first day); a late line names an earlier month
    # than its bill's period.
    service_period: date = Field(sa_type=sa.Date(), nullable=False)


class BillDisputeState(StrEnum):
    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class BillDispute(Base, table=True):
    """BIL-7: one open dispute per bill, enforced by a partial unique index."""

    __tablename__ = "bill_disputes"
    __table_args__ = (
        sa.Index(
            "uq_bill_disputes_open",
            "bill_id",
            unique=True,
            sqlite_where=sa.text("state = 'OPEN'"),
            postgresql_where=sa.text("state = 'OPEN'"),
        ),
    )

    bill_id: uuid.UUID = Field(foreign_key="bills.id", index=True, nullable=False)
    state: BillDisputeState = Field(default=BillDisputeState.OPEN, sa_type=sa.String(16), nullable=False)
    amount_fen: int = money_field(nullable=False)
    reason: str = Field(sa_type=sa.Text(), nullable=False)
    opened_by: str = Field(sa_type=sa.String(200), nullable=False)
    opened_at: datetime = timestamp_field(nullable=False)
    adjustment_fen: int | None = money_field(default=None, nullable=True)
    note: str | None = Field(default=None, sa_type=sa.Text(), nullable=True)
    resolved_by: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    resolved_at: datetime | None = timestamp_field(default=None, nullable=True)


class BillHold(Base, table=True):
    """BIL-2: an account's bill for a month that cannot be issued because some usage has no
    price; kept until a rerun of the bill run finds a price and issues the bill."""

    __tablename__ = "bill_holds"
    __table_args__ = (sa.UniqueConstraint("account_id", "period"),)

    account_id: uuid.UUID = Field(foreign_key="accounts.id", nullable=False)
    period: date = Field(sa_type=sa.Date(), nullable=False)
    products: list[str] = Field(sa_type=sa.JSON(), nullable=False)
    detected_at: datetime = timestamp_field(nullable=False)


class PenaltyKind(StrEnum):
    ARREARS = "ARREARS"  # PRE-4: 1‰ a day on unpaid principal
    SHORTFALL = "SHORTFALL"  # PRE-3: 0.1 % a day on the shortfall below a month's consumption


class PenaltyAccrual(Base, table=True):
    """One row per bill, kind and calendar day: the unique key makes accrual idempotent and
    lets a sweep after downtime add each missed day exactly once."""

    __tablename__ = "penalty_accruals"
    __table_args__ = (sa.UniqueConstraint("bill_id", "kind", "day"),)

    bill_id: uuid.UUID = Field(foreign_key="bills.id", nullable=False)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    kind: PenaltyKind = Field(sa_type=sa.String(16), nullable=False)
    day: date = Field(sa_type=sa.Date(), nullable=False)
    base_fen: int = money_field(nullable=False)
    amount_fen: int = money_field(nullable=False)


class BillRun(Base, table=True):
    """Each run of the monthly bill run (BIL-4): the scheduler's record that a month was run.
    A run commits chunk by chunk when its caller commits between them (the sweep); one that
    crashed has no ``finished_at``, so the next sweep runs the month again and completes it."""

    __tablename__ = "bill_runs"

    period: date = Field(sa_type=sa.Date(), index=True, nullable=False)
    ran_at: datetime = timestamp_field(nullable=False)
    ran_by: str = Field(sa_type=sa.String(200), nullable=False)
    issued: int = Field(nullable=False)
    held: int = Field(nullable=False)
    finished_at: datetime | None = timestamp_field(default=None, nullable=True)
