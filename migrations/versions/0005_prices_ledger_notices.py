"""Prices, notices and the prepaid ledger: products with standard list prices (BIL-1, BIL-2),
supplementary-agreement prices, notices (NTC-1, NTC-4), immutable ledger entries with the
balance beside them (PRE-1) and idempotent top-ups (PRE-2).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("continuing", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    op.create_table(
        "agreement_prices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("product_code", sa.String(length=40), nullable=False),
        sa.Column("unit_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_agreement_prices_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["product_code"], ["products.code"], name=op.f("fk_agreement_prices_product_code_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_prices")),
        sa.UniqueConstraint(
            "account_id",
            "product_code",
            "effective_from",
            name=op.f("uq_agreement_prices_account_id_product_code_effective_from"),
        ),
    )
    with op.batch_alter_table("agreement_prices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_prices_account_id"), ["account_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_fen", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_ledger_entries_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entries_account_id"), ["account_id"], unique=False)

    op.create_table(
        "list_prices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("product_code", sa.String(length=40), nullable=False),
        sa.Column("unit_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("legal_basis", sa.String(length=500), nullable=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["product_code"], ["products.code"], name=op.f("fk_list_prices_product_code_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_prices")),
        sa.UniqueConstraint("product_code", "effective_from", name=op.f("uq_list_prices_product_code_effective_from")),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("addressee", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_notices_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_account_id"), ["account_id"], unique=False)

    op.create_table(
        "top_ups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_entry_id", sa.Uuid(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_top_ups_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"], ["ledger_entries.id"], name=op.f("fk_top_ups_ledger_entry_id_ledger_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_top_ups")),
        sa.UniqueConstraint("account_id", "idempotency_key", name=op.f("uq_top_ups_account_id_idempotency_key")),
    )
    with op.batch_alter_table("top_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_top_ups_account_id"), ["account_id"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("balance_fen", sa.BigInteger(), server_default="0", nullable=False))
    _standard_prices()
    _make_ledger_append_only()


def downgrade() -> None:
    _drop_ledger_append_only()
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("balance_fen")

    with op.batch_alter_table("top_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_top_ups_account_id"))

    op.drop_table("top_ups")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_account_id"))

    op.drop_table("notices")
    op.drop_table("list_prices")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_account_id"))

    op.drop_table("ledger_entries")
    with op.batch_alter_table("agreement_prices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_prices_account_id"))

    op.drop_table("agreement_prices")
    op.drop_table("products")


# CONTRACT.md: the products with a standard list price from this migration on (unit, price in
# fen per unit, continuing charge). Later changes go through schedulePriceChange (NTC-2).
PRODUCTS = [
    ("RTC_AUDIO_MINUTES", "1,000 minutes", 700, False),
    ("RTC_VIDEO_HD_MINUTES", "1,000 minutes", 2800, False),
    ("RTC_VIDEO_FHD_MINUTES", "1,000 minutes", 6300, False),
    ("CLOUD_RECORDING_MINUTES", "1,000 minutes", 1000, False),
    ("RECORDING_STORAGE_GB_MONTH", "GB-month", 15, True),
    ("BANDWIDTH_GB", "GB", 80, False),
    ("TECH_SUPPORT_MONTH", "month", 200000, False),
]
LIST_PRICES_FROM = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 2026-01-01 00:00 Asia/Shanghai


def _standard_prices() -> None:
    now = datetime.now(UTC)
    products = sa.table(
        "products",
        sa.column("id", sa.Uuid()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("code", sa.String()),
        sa.column("unit", sa.String()),
        sa.column("continuing", sa.Boolean()),
    )
    prices = sa.table(
        "list_prices",
        sa.column("id", sa.Uuid()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("product_code", sa.String()),
        sa.column("unit_price_fen", sa.BigInteger()),
        sa.column("effective_from", sa.DateTime(timezone=True)),
        sa.column("legal_basis", sa.String()),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"

    def stamp(value: datetime) -> datetime:
        # SQLite stores naive UTC (models.base.UTCDateTime); PostgreSQL keeps the offset.
        return value.replace(tzinfo=None) if sqlite else value

    op.bulk_insert(
        products,
        [
            {
                "id": uuid.uuid4(),
                "created_at": stamp(now),
                "updated_at": stamp(now),
                "code": code,
                "unit": unit,
                "continuing": continuing,
            }
            for code, unit, _, continuing in PRODUCTS
        ],
    )
    op.bulk_insert(
        prices,
        [
            {
                "id": uuid.uuid4(),
                "created_at": stamp(now),
                "updated_at": stamp(now),
                "product_code": code,
                "unit_price_fen": fen,
                "effective_from": stamp(LIST_PRICES_FROM),
                "legal_basis": "standard price list",
            }
            for code, _, fen, _ in PRODUCTS
        ],
    )


# PRE-1: ledger entries are immutable.
def _make_ledger_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_entries_immutable() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'ledger entries are immutable (PRE-1)'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries "
            "FOR EACH ROW EXECUTE FUNCTION ledger_entries_immutable()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_entries_no_{event.lower()} BEFORE {event} ON ledger_entries "
                "BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable (PRE-1)'); END"
            )


def _drop_ledger_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_entries_immutable ON ledger_entries")
        op.execute("DROP FUNCTION ledger_entries_immutable()")
    else:
        op.execute("DROP TRIGGER ledger_entries_no_update")
        op.execute("DROP TRIGGER ledger_entries_no_delete")
