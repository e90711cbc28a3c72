"""The bill run in chunks (issue 15): a run's completion mark, and usage indexed by run and
account so each chunk reads only what it claimed.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bill_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    # Every run before this revision was one transaction: it finished when it committed.
    op.execute("UPDATE bill_runs SET finished_at = ran_at")
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_records_bill_run_id"))
        batch_op.create_index("ix_usage_records_bill_run_account", ["bill_run_id", "account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_records_bill_run_account")
        batch_op.create_index(batch_op.f("ix_usage_records_bill_run_id"), ["bill_run_id"], unique=False)
    with op.batch_alter_table("bill_runs", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
