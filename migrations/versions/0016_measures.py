"""ENF-4 measures on enforcement cases, and usage flagged for review after a suspension (ENF-5).

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "measures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("app_ids", sa.JSON(), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispute_id", sa.Uuid(), nullable=True),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.String(length=200), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=200), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_measures_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["enforcement_cases.id"], name=op.f("fk_measures_case_id_enforcement_cases")
        ),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_measures_notice_id_notices")),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["ownership_disputes.id"], name=op.f("fk_measures_dispute_id_ownership_disputes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measures")),
    )
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measures_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_measures_case_id"), ["case_id"], unique=False)
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flagged_for_review", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_column("flagged_for_review")
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measures_case_id"))
        batch_op.drop_index(batch_op.f("ix_measures_account_id"))
    op.drop_table("measures")
