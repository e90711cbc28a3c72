"""BIL-2 / BIL-3: what a supplementary agreement sets for one account: its own price of a
product (the only way to bill a product without a list price) and conditional discounts."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, AgreementPrice, Discount, DiscountCondition, Product
from services.accounts import validation
from services.errors import InvalidInput
from services.money import BASIS_POINTS, amount_to_fen, quantity_to_micros


async def _product(session: AsyncSession, code: str) -> Product:
    found = (await session.execute(select(Product).where(Product.code == code))).scalar_one_or_none()
    if found is None:
        raise InvalidInput(f"unknown product {code}", field=["product"])
    return found


async def set_agreement_price(
    session: AsyncSession, *, account: Account, product: str, unit_price: Decimal, effective_from: datetime
) -> AgreementPrice:
    await _product(session, product)
    fen = amount_to_fen(unit_price, "unitPrice")
    taken = await session.execute(
        select(AgreementPrice.id).where(
            AgreementPrice.account_id == account.id,
            AgreementPrice.product_code == product,
            AgreementPrice.effective_from == effective_from,
        )
    )
    if taken.first() is not None:
        raise InvalidInput(
            "this account already has a price for that product from that instant", field=["effectiveFrom"]
        )
    row = AgreementPrice(account_id=account.id, product_code=product, unit_price_fen=fen, effective_from=effective_from)
    session.add(row)
    await session.flush()
    return row


def _basis_points(percent: Decimal) -> int:
    try:
        points = percent * 100
        whole = points == points.to_integral_value()
    except InvalidOperation:
        whole = False
    if not whole or not 0 < points < BASIS_POINTS:
        raise InvalidInput("a discount is more than 0 and less than 100 percent, to 0.01 %", field=["percent"])
    return int(points)


def _threshold(condition: DiscountCondition, threshold: Decimal) -> int:
    if condition == DiscountCondition.MIN_MONTHLY_QUANTITY:
        return quantity_to_micros(threshold, "threshold")
    if threshold != threshold.to_integral_value() or not 1 <= threshold <= 120:
        raise InvalidInput("a tenure is 1 to 120 whole months", field=["threshold"])
    return int(threshold)


async def grant_discount(
    session: AsyncSession,
    *,
    account: Account,
    product: str,
    percent: Decimal,
    condition: DiscountCondition,
    threshold: Decimal,
    valid_from: date,
    valid_until: date | None,
    reference: str,
    granted_by: str,
) -> Discount:
    await _product(session, product)
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput("validUntil is before validFrom", field=["validUntil"])
    row = Discount(
        account_id=account.id,
        product_code=product,
        basis_points=_basis_points(percent),
        condition=condition,
        threshold=_threshold(condition, threshold),
        valid_from=valid_from,
        valid_until=valid_until,
        reference=validation.single_line(reference, "reference", max_length=200),
        granted_by=granted_by,
    )
    session.add(row)
    await session.flush()
    return row
