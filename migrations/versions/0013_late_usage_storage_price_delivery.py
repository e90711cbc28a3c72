"""BIL-1: usage records name the bill run that billed them and bill lines their service
period; NTC-2: each account's delivery of a price change.

Existing data: a line's service period is its bill's period; a usage record is marked as billed
by its month's run when its account has a bill for that month issued after it was reported
(what the old run put on that bill). Records reported after their month's bill are left
unbilled: the next bill carries them as late lines (the old run dropped them).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _bounds(period: date) -> tuple[datetime, datetime]:
    following = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    start = datetime.combine(period, time(), tzinfo=SHANGHAI).astimezone(UTC)
    end = datetime.combine(following, time(), tzinfo=SHANGHAI).astimezone(UTC)
    return start, end


def _stamp(value: datetime, dialect: str) -> datetime | str:
    """As the column stores it (SQLite: naive UTC text, as models.base.UTCDateTime writes it)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else value


def upgrade() -> None:
    with op.batch_alter_table("bill_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_period", sa.Date(), nullable=True))
    op.execute(
        "UPDATE bill_lines SET service_period = (SELECT bills.period FROM bills WHERE bills.id = bill_lines.bill_id)"
    )
    with op.batch_alter_table("bill_lines", schema=None) as batch_op:
        batch_op.alter_column("service_period", existing_type=sa.Date(), nullable=False)

    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bill_run_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_usage_records_bill_run_id"), ["bill_run_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_usage_records_bill_run_id_bill_runs"), "bill_runs", ["bill_run_id"], ["id"]
        )
    _mark_billed_usage()

    op.create_table(
        "price_change_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("list_price_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("applies_from", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_price_change_deliveries_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["list_price_id"], ["list_prices.id"], name=op.f("fk_price_change_deliveries_list_price_id_list_prices")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_price_change_deliveries_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_change_deliveries")),
        sa.UniqueConstraint(
            "list_price_id", "account_id", name=op.f("uq_price_change_deliveries_list_price_id_account_id")
        ),
        sa.UniqueConstraint("notice_id", name=op.f("uq_price_change_deliveries_notice_id")),
    )
    with op.batch_alter_table("price_change_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_change_deliveries_account_id"), ["account_id"], unique=False)


def _mark_billed_usage() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    bills = bind.execute(sa.text("SELECT account_id, period, issued_at FROM bills")).all()
    for account_id, period, issued_at in bills:
        if isinstance(period, str):
            period = date.fromisoformat(period)
        run_id = bind.execute(
            sa.text("SELECT id FROM bill_runs WHERE period = :p ORDER BY ran_at LIMIT 1"), {"p": period}
        ).scalar()
        if run_id is None:
            continue
        start, end = _bounds(period)
        bind.execute(
            sa.text(
                "UPDATE usage_records SET bill_run_id = :run WHERE account_id = :account AND bill_run_id IS NULL "
                "AND occurred_at >= :start AND occurred_at < :end AND reported_at <= :issued "
                "AND product_code NOT IN (SELECT code FROM products WHERE continuing)"
            ),
            {
                "run": run_id,
                "account": account_id,
                "start": _stamp(start, dialect),
                "end": _stamp(end, dialect),
                "issued": issued_at,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("price_change_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_change_deliveries_account_id"))
    op.drop_table("price_change_deliveries")
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_usage_records_bill_run_id_bill_runs"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_usage_records_bill_run_id"))
        batch_op.drop_column("bill_run_id")
    with op.batch_alter_table("bill_lines", schema=None) as batch_op:
        batch_op.drop_column("service_period")
