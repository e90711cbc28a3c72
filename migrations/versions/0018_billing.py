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


# Plain ALTERs, not batch mode: on SQLite a batch recreates the table, and dropping bill_runs while
# usage_records references it fails its foreign key.


def upgrade() -> None:
    op.add_column("bill_runs", sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    # Every run before this revision was one transaction: it finished when it committed.
    op.execute("UPDATE bill_runs SET finished_at = ran_at")
    op.drop_index("ix_usage_records_bill_run_id", table_name="usage_records")
    op.create_index("ix_usage_records_bill_run_account", "usage_records", ["bill_run_id", "account_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_usage_records_bill_run_account", table_name="usage_records")
    op.create_index("ix_usage_records_bill_run_id", "usage_records", ["bill_run_id"], unique=False)
    op.drop_column("bill_runs", "finished_at")
