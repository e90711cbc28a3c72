"""NTC-2 / BIL-2: the standard price list in force at an instant, and law-required changes
announced by email at least 7 days ahead.

``price_list`` is the list as published (``standardPrices(at:)``): a change is on it from its
effective date. What one account is billed follows its own delivery (NTC-2): each account's
email gets a ``PriceChangeDelivery`` row, and the new price applies to that account only from 7
days after the email was delivered (never before the effective date); until then, and while
it is undelivered, the account keeps the old price (services/billing/pricing.py)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ListPrice, Notice, NoticePurpose, PriceChangeDelivery, Product
from services import notices
from services.accounts import validation
from services.batch import insert_for, new_row
from services.errors import InvalidInput, NoticeTooShort
from services.money import amount_to_fen, fen_to_yuan

PRICE_CHANGE_NOTICE = notices.PRICE_CHANGE_NOTICE


@dataclass(frozen=True, slots=True)
class PriceInForce:
    product: str
    unit: str
    unit_price_fen: int
    effective_from: datetime


async def price_list(session: AsyncSession, *, at: datetime) -> list[PriceInForce]:
    """For each product, the newest list price whose effective_from is not after ``at``."""
    newest = (
        select(ListPrice.product_code, func.max(ListPrice.effective_from).label("effective_from"))
        .where(ListPrice.effective_from <= at)
        .group_by(ListPrice.product_code)
        .subquery()
    )
    rows = await session.execute(
        select(Product.code, Product.unit, ListPrice.unit_price_fen, ListPrice.effective_from)
        .join(ListPrice, ListPrice.product_code == Product.code)
        .join(
            newest,
            (newest.c.product_code == ListPrice.product_code) & (newest.c.effective_from == ListPrice.effective_from),
        )
        .order_by(Product.code)
    )
    return [PriceInForce(*row) for row in rows]


async def schedule_price_change(
    session: AsyncSession,
    *,
    product: str,
    unit_price: Decimal,
    effective_from: datetime,
    legal_basis: str,
    sent_by: str,
    now: datetime,
) -> Notice:
    """NTC-2: refused with NOTICE_TOO_SHORT when fewer than 7 days remain before it applies."""
    found = (await session.execute(select(Product).where(Product.code == product))).scalar_one_or_none()
    if found is None:
        raise InvalidInput(f"unknown product {product}", field=["product"])
    fen = amount_to_fen(unit_price, "unitPrice")
    basis = validation.single_line(legal_basis, "legalBasis", max_length=500)
    if effective_from - now < PRICE_CHANGE_NOTICE:
        raise NoticeTooShort(
            "a price change is announced by email at least 7 days before it takes effect", field=["effectiveFrom"]
        )
    exists = await session.execute(
        select(ListPrice.id).where(ListPrice.product_code == product, ListPrice.effective_from == effective_from)
    )
    if exists.first() is not None:
        raise InvalidInput("a price for this product already starts at that instant", field=["effectiveFrom"])
    price = ListPrice(
        product_code=product, unit_price_fen=fen, effective_from=effective_from, legal_basis=basis, announced_at=now
    )
    session.add(price)
    await session.flush()
    subject = f"价格调整通知 / Price change: {product}"
    body = (
        f"{product} ({found.unit}) will cost {fen_to_yuan(fen)} CNY per unit from "
        f"{effective_from.isoformat()}. Basis: {basis}."
    )
    # NTC-2 says by email: one to every customer's contact address, through the outbox.
    emails = await notices.queue_email_to_every_account(
        session, subject=subject, body=body, sent_by=sent_by, now=now, purpose=NoticePurpose.PRICE_CHANGE
    )
    deliveries = [
        new_row(now, list_price_id=price.id, account_id=row["account_id"], notice_id=row["id"]) for row in emails
    ]
    if deliveries:
        await session.execute(insert_for(session, PriceChangeDelivery), deliveries)
    return await notices.send_electronic(
        session,
        account_id=None,
        addressee=notices.EVERY_CUSTOMER,
        subject=subject,
        body=body,
        sent_by=sent_by,
        now=now,
    )
