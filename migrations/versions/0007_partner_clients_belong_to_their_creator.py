"""Partner clients belong to the user who created them (ACC-8): their scopes follow that
user's current grants and they stop when the user is disabled.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_user_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_oauth_clients_created_by_user_id_users"), "users", ["created_by_user_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_oauth_clients_created_by_user_id_users"), type_="foreignkey")
        batch_op.drop_column("created_by_user_id")
