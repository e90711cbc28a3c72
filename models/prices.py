"""BIL-1 to BIL-3, NTC-2: products, list prices with effective dates, supplementary-agreement
prices, conditional discounts. Money is integer fen (M-1)."""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, money_field, timestamp_field


class Product(Base, table=True):
    __tablename__ = "products"

    code: str = Field(sa_type=sa.String(40), unique=True, nullable=False)
    unit: str = Field(sa_type=sa.String(40), nullable=False)
    # BIL-8: billed every month while the resource is held, even without new use.
    continuing: bool = Field(default=False, nullable=False)


class ListPrice(Base, table=True):
    """NTC-2: the standard price of a product from ``effective_from`` on (the newest one whose
    ``effective_from`` has passed is in force)."""

    __tablename__ = "list_prices"
    __table_args__ = (sa.UniqueConstraint("product_code", "effective_from"),)

    product_code: str = Field(sa_type=sa.String(40), foreign_key="products.code", nullable=False)
    unit_price_fen: int = money_field(nullable=False)
    effective_from: datetime = timestamp_field(nullable=False)
    legal_basis: str | None = Field(default=None, sa_type=sa.String(500), nullable=True)
    announced_at: datetime | None = timestamp_field(default=None, nullable=True)


class PriceChangeDelivery(Base, table=True):
    """NTC-2: a list-price change as announced to one account. The new price applies to the
    account from ``applies_from``: its effective date, or 7 days after the account's email was
    delivered (NTC-1) when that is later; empty while the email is undelivered (the old price
    stays). An account with no row (it joined after the announcement) follows the list."""

    __tablename__ = "price_change_deliveries"
    __table_args__ = (sa.UniqueConstraint("list_price_id", "account_id"),)

    list_price_id: uuid.UUID = Field(foreign_key="list_prices.id", nullable=False)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    notice_id: uuid.UUID = Field(foreign_key="notices.id", unique=True, nullable=False)
    applies_from: datetime | None = timestamp_field(default=None, nullable=True)


class AgreementPrice(Base, table=True):
    """BIL-2: a supplementary agreement's price for one account (used when the product has no
    list price, and over the list price when both exist)."""

    __tablename__ = "agreement_prices"
    __table_args__ = (sa.UniqueConstraint("account_id", "product_code", "effective_from"),)

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    product_code: str = Field(sa_type=sa.String(40), foreign_key="products.code", nullable=False)
    unit_price_fen: int = money_field(nullable=False)
    effective_from: datetime = timestamp_field(nullable=False)


class DiscountCondition(StrEnum):
    MIN_MONTHLY_QUANTITY = "MIN_MONTHLY_QUANTITY"  # the month's quantity of the product reaches it
    MIN_TENURE_MONTHS = "MIN_TENURE_MONTHS"  # the account is at least that many months old


class Discount(Base, table=True):
    """BIL-3: a conditional discount from a supplementary agreement, in basis points."""

    __tablename__ = "discounts"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True, nullable=False)
    product_code: str = Field(sa_type=sa.String(40), foreign_key="products.code", nullable=False)
    basis_points: int = Field(nullable=False)
    condition: DiscountCondition = Field(sa_type=sa.String(32), nullable=False)
    threshold: int = Field(sa_type=sa.BigInteger(), nullable=False)
    valid_from: date = Field(sa_type=sa.Date(), nullable=False)
    valid_until: date | None = Field(default=None, sa_type=sa.Date(), nullable=True)
    reference: str = Field(sa_type=sa.String(200), nullable=False)
    granted_by: str = Field(sa_type=sa.String(200), nullable=False)
