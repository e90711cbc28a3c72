"""INV-1 to INV-5: the invoice profile and its change records, stored documents (the taxpayer
certificate, reversal documents), invoices with their state history, and reversals.
Money is integer fen."""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, money_field, timestamp_field


class InvoiceType(StrEnum):
    VAT_GENERAL = "VAT_GENERAL"  # 增值税普通发票
    VAT_SPECIAL = "VAT_SPECIAL"  # 增值税专用发票


class InvoiceState(StrEnum):
    REQUESTED = "REQUESTED"
    ISSUED = "ISSUED"
    DELIVERED = "DELIVERED"
    VOIDED = "VOIDED"
    REVERSED = "REVERSED"


class ReversalPath(StrEnum):
    """INV-5's four paths (agreement 5.4.3, 5.4.1, 5.4.2, 5.4.4)."""

    CANCEL = "CANCEL"
    VOID = "VOID"
    RED_LETTER = "RED_LETTER"
    LOSS_REPORT = "LOSS_REPORT"


class ReversalDocument(StrEnum):
    """INV-5's documents a customer hands in (the returned paper invoice is ``paperReturned``)."""

    RED_LETTER_INFO_FORM = "RED_LETTER_INFO_FORM"  # 开具红字增值税专用发票信息表
    LOSS_REPORT = "LOSS_REPORT"  # 挂失/损毁发票清单


class StoredDocument(Base, table=True):
    """A document's bytes, addressed by their SHA-256, in the database so every app process
    sees it. No listed row carries the bytes: rows refer to a document by its digest."""

    __tablename__ = "stored_documents"

    sha256: str = Field(sa_type=sa.String(64), unique=True, nullable=False)
    content_type: str = Field(sa_type=sa.String(32), nullable=False)
    size_bytes: int = Field(sa_type=sa.Integer(), nullable=False)
    content: bytes = Field(sa_type=sa.LargeBinary(), nullable=False)


class InvoiceProfile(Base, table=True):
    """INV-1: one per account; every change is kept in ``invoice_profile_changes``."""

    __tablename__ = "invoice_profiles"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", unique=True, nullable=False)
    title: str = Field(sa_type=sa.String(200), nullable=False)
    taxpayer_id: str = Field(sa_type=sa.String(20), nullable=False)
    address_phone: str = Field(sa_type=sa.String(300), nullable=False)
    bank_account: str = Field(sa_type=sa.String(200), nullable=False)
    # INV-3: the general-taxpayer qualification certificate, by its digest.
    certificate_sha256: str | None = Field(default=None, sa_type=sa.String(64), nullable=True)
    certificate_filename: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    certificate_uploaded_at: datetime | None = timestamp_field(default=None, nullable=True)


class InvoiceProfileChange(Base, table=True):
    """INV-1, kept like ACC-2: one changed field, its old and new value, when and by whom."""

    __tablename__ = "invoice_profile_changes"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    field: str = Field(sa_type=sa.String(32), nullable=False)
    old_value: str | None = Field(default=None, sa_type=sa.String(300), nullable=True)
    new_value: str = Field(sa_type=sa.String(300), nullable=False)
    changed_at: datetime = timestamp_field(nullable=False)
    changed_by: str = Field(sa_type=sa.String(200), nullable=False)


class Invoice(Base, table=True):
    """INV-2 / INV-4: an invoice for settled consumption. ``corrects_id`` names the invoice a
    corrected one replaces (INV-5); it may not be issued before ``not_before`` (the next month)."""

    __tablename__ = "invoices"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    type: InvoiceType = Field(sa_type=sa.String(16), nullable=False)
    amount_fen: int = money_field(nullable=False)
    state: InvoiceState = Field(default=InvoiceState.REQUESTED, sa_type=sa.String(16), nullable=False)
    requested_at: datetime = timestamp_field(nullable=False)
    requested_by: str = Field(sa_type=sa.String(200), nullable=False)
    issued_at: datetime | None = timestamp_field(default=None, nullable=True)
    issued_by: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    delivered_at: datetime | None = timestamp_field(default=None, nullable=True)
    certified_at: datetime | None = timestamp_field(default=None, nullable=True)
    corrects_id: uuid.UUID | None = Field(default=None, foreign_key="invoices.id", nullable=True)
    not_before: date | None = Field(default=None, sa_type=sa.Date(), nullable=True)
    # INV-5: how it was reversed (VOIDED or REVERSED), when it was.
    reversal_path: ReversalPath | None = Field(default=None, sa_type=sa.String(16), nullable=True)


class InvoiceStateChange(Base, table=True):
    """Every state an invoice passed through, with when and who."""

    __tablename__ = "invoice_state_changes"

    invoice_id: uuid.UUID = Field(foreign_key="invoices.id", index=True, nullable=False)
    state: InvoiceState = Field(sa_type=sa.String(16), nullable=False)
    at: datetime = timestamp_field(nullable=False)
    by: str = Field(sa_type=sa.String(200), nullable=False)
    note: str | None = Field(default=None, sa_type=sa.String(500), nullable=True)


class InvoiceReversal(Base, table=True):
    """INV-5: a completed reversal (a refused one is not stored) and what it required."""

    __tablename__ = "invoice_reversals"

    invoice_id: uuid.UUID = Field(foreign_key="invoices.id", unique=True, nullable=False)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    path: ReversalPath = Field(sa_type=sa.String(16), nullable=False)
    reason: str = Field(sa_type=sa.Text(), nullable=False)
    paper_returned: bool = Field(default=False, nullable=False)
    document_kind: str | None = Field(default=None, sa_type=sa.String(32), nullable=True)
    document_sha256: str | None = Field(default=None, sa_type=sa.String(64), nullable=True)
    completed_at: datetime = timestamp_field(nullable=False)
    completed_by: str = Field(sa_type=sa.String(200), nullable=False)
    corrected_invoice_id: uuid.UUID | None = Field(default=None, foreign_key="invoices.id", nullable=True)
