"""Online top-ups wait for the payment gateway's confirmation (PRE-2): each top-up gets its
expiry, and the provider transaction that paid it (unique: one transaction credits once).

Every ONLINE top-up made before this was credited at once, so none is left pending to expire.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("top_ups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("provider_transaction_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_top_ups_provider_transaction_id"), ["provider_transaction_id"])


def downgrade() -> None:
    with op.batch_alter_table("top_ups", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_top_ups_provider_transaction_id"), type_="unique")
        batch_op.drop_column("paid_at")
        batch_op.drop_column("provider_transaction_id")
        batch_op.drop_column("expires_at")
