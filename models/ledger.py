"""PRE-1: the prepaid ledger. Entries are immutable (the database refuses UPDATE and DELETE);
``accounts.balance_fen`` moves in the same statement-locked transaction as each entry, and
every entry records the balance after it, so the chain can be checked."""

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, money_field, timestamp_field


class LedgerKind(StrEnum):
    TOP_UP = "TOP_UP"
    BILL_DEDUCTION = "BILL_DEDUCTION"
    PENALTY = "PENALTY"
    ADJUSTMENT = "ADJUSTMENT"
    FORFEITURE = "FORFEITURE"
    REFUND = "REFUND"


class LedgerEntry(Base, table=True):
    __tablename__ = "ledger_entries"
    # The console's page of an account's entries, oldest first: an index scan that stops after
    # the page, not a sort of the whole ledger (migration 0019).
    __table_args__ = (sa.Index("ix_ledger_entries_account_id_id", "account_id", "id"),)

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    kind: LedgerKind = Field(sa_type=sa.String(20), nullable=False)
    amount_fen: int = money_field(nullable=False)  # signed: credits positive, debits negative
    balance_after_fen: int = money_field(nullable=False)
    reference: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    at: datetime = timestamp_field(nullable=False)


class TopUpMethod(StrEnum):
    ONLINE = "ONLINE"
    BANK_TRANSFER = "BANK_TRANSFER"


class TopUpState(StrEnum):
    PENDING = "PENDING"
    CREDITED = "CREDITED"


class TopUp(Base, table=True):
    """PRE-2: one row per idempotency key and account; the same key twice credits once. An
    ONLINE top-up waits for the payment gateway's (or FINANCE's) confirmation until
    ``expires_at``; each provider transaction confirms at most one top-up."""

    __tablename__ = "top_ups"
    __table_args__ = (sa.UniqueConstraint("account_id", "idempotency_key"),)

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    method: TopUpMethod = Field(sa_type=sa.String(20), nullable=False)
    amount_fen: int = money_field(nullable=False)
    reference: str = Field(sa_type=sa.String(200), nullable=False)
    idempotency_key: str = Field(sa_type=sa.String(100), nullable=False)
    state: TopUpState = Field(sa_type=sa.String(16), nullable=False)
    requested_at: datetime = timestamp_field(nullable=False)
    ledger_entry_id: uuid.UUID | None = Field(default=None, foreign_key="ledger_entries.id", nullable=True)
    confirmed_by: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    # ONLINE only: unpaid by then, it can no longer be confirmed (read against the business clock).
    expires_at: datetime | None = timestamp_field(default=None, nullable=True)
    # ONLINE only: the payment provider's transaction that paid it, and when it was paid.
    provider_transaction_id: str | None = Field(default=None, sa_type=sa.String(200), unique=True, nullable=True)
    paid_at: datetime | None = timestamp_field(default=None, nullable=True)


class RefundState(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"


class Refund(Base, table=True):
    """PRE-6: a request to refund the remainder after the agreement ended; FINANCE pays it."""

    __tablename__ = "refunds"
    __table_args__ = (sa.UniqueConstraint("account_id", "idempotency_key"),)

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    amount_fen: int = money_field(nullable=False)
    reason: str = Field(sa_type=sa.Text(), nullable=False)
    idempotency_key: str = Field(sa_type=sa.String(100), nullable=False)
    state: RefundState = Field(default=RefundState.PENDING, sa_type=sa.String(16), nullable=False)
    requested_at: datetime = timestamp_field(nullable=False)
    paid_at: datetime | None = timestamp_field(default=None, nullable=True)
    paid_by: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    ledger_entry_id: uuid.UUID | None = Field(default=None, foreign_key="ledger_entries.id", nullable=True)
