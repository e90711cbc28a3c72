"""Indexes for the console's account-scoped pages (issue 15): (account_id, id).

The pages read ``WHERE account_id = ? ORDER BY id LIMIT n`` (services/pagination.py). With an
index on account_id alone, PostgreSQL fetches every row of the account and sorts them; with
(account_id, id) it reads the page in order and stops. EXPLAIN ANALYZE on the bench data (1,000
accounts, 200 entries each): the ledger page 0.40 ms (bitmap scan of 200 rows and a top-N sort)
-> 0.09 ms (index scan of 21 rows); the bills page also becomes an index scan in key order.
The apps page is left alone: PostgreSQL still sorts its 20 rows with such an index.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_account_id_id", ["account_id", "id"], unique=False)
    with op.batch_alter_table("bills", schema=None) as batch_op:
        batch_op.create_index("ix_bills_account_id_id", ["account_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bills", schema=None) as batch_op:
        batch_op.drop_index("ix_bills_account_id_id")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_account_id_id")
