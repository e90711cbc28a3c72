"""Enforcement cases, first slice (ENF-1): staff record cases citing the clauses violated,
such as Art. 2.11/2.14 (APP-5); usage outside an AppID's scope will open AUTOMATIC ones (APP-3).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enforcement_cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("clauses", sa.JSON(), nullable=False),
        sa.Column("app_ids", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("admin_order_authority", sa.String(length=200), nullable=True),
        sa.Column("admin_order_number", sa.String(length=100), nullable=True),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_enforcement_cases_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_cases")),
    )
    with op.batch_alter_table("enforcement_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enforcement_cases_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("enforcement_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enforcement_cases_account_id"))

    op.drop_table("enforcement_cases")
