"""VAT invoices (INV-1 to INV-5): the invoice profile and its change records, stored documents
addressed by SHA-256, invoices with their state history, and reversals.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_documents")),
        sa.UniqueConstraint("sha256", name=op.f("uq_stored_documents_sha256")),
    )
    op.create_table(
        "invoice_profile_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.String(length=300), nullable=True),
        sa.Column("new_value", sa.String(length=300), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_invoice_profile_changes_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_profile_changes")),
    )
    with op.batch_alter_table("invoice_profile_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_profile_changes_account_id"), ["account_id"], unique=False)

    op.create_table(
        "invoice_profiles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("taxpayer_id", sa.String(length=20), nullable=False),
        sa.Column("address_phone", sa.String(length=300), nullable=False),
        sa.Column("bank_account", sa.String(length=200), nullable=False),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=True),
        sa.Column("certificate_filename", sa.String(length=200), nullable=True),
        sa.Column("certificate_uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_invoice_profiles_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_profiles")),
        sa.UniqueConstraint("account_id", name=op.f("uq_invoice_profiles_account_id")),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_by", sa.String(length=200), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("certified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("corrects_id", sa.Uuid(), nullable=True),
        sa.Column("not_before", sa.Date(), nullable=True),
        sa.Column("reversal_path", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_invoices_account_id_accounts")),
        sa.ForeignKeyConstraint(["corrects_id"], ["invoices.id"], name=op.f("fk_invoices_corrects_id_invoices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_account_id"), ["account_id"], unique=False)

    op.create_table(
        "invoice_reversals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("path", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("paper_returned", sa.Boolean(), nullable=False),
        sa.Column("document_kind", sa.String(length=32), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_by", sa.String(length=200), nullable=False),
        sa.Column("corrected_invoice_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_invoice_reversals_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["corrected_invoice_id"], ["invoices.id"], name=op.f("fk_invoice_reversals_corrected_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_reversals_invoice_id_invoices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_reversals")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_invoice_reversals_invoice_id")),
    )
    with op.batch_alter_table("invoice_reversals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_reversals_account_id"), ["account_id"], unique=False)

    op.create_table(
        "invoice_state_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_state_changes_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_state_changes")),
    )
    with op.batch_alter_table("invoice_state_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_state_changes_invoice_id"), ["invoice_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("invoice_state_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_state_changes_invoice_id"))

    op.drop_table("invoice_state_changes")
    with op.batch_alter_table("invoice_reversals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_reversals_account_id"))

    op.drop_table("invoice_reversals")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_account_id"))

    op.drop_table("invoices")
    op.drop_table("invoice_profiles")
    with op.batch_alter_table("invoice_profile_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_profile_changes_account_id"))

    op.drop_table("invoice_profile_changes")
    op.drop_table("stored_documents")
