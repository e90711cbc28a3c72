"""BIL-8: continuing charges, time-weighted (CONTRACT.md "Vocabularies").

A report of a continuing product (``RECORDING_STORAGE_GB_MONTH``) gives the level held from its
``occurredAt`` until the AppID's next report of that product; a level of 0 releases it. A month
bills each level for the part of the month it was held: GB × time held ÷ length of the month
(Asia/Shanghai months, which have no daylight saving: hours in the month = 24 × days), summed
exactly and rounded half-up to 6 decimals once per account, product and price. A level that
continues across months is billed in each of them, without new reports. It is priced at the
price in force at the month's last instant.
"""

import uuid
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from models import Bill, Product, UsageRecord
from services.billing.pricing import month_bounds, priced

Key = tuple[uuid.UUID, str, int | None]  # account, product, unit price (None: unpriced, BIL-2)


def in_range(column, after: uuid.UUID | None, upto: uuid.UUID | None):
    """``after < column <= upto`` (an open end where None): one chunk of accounts."""
    condition = true()
    if after is not None:
        condition = condition & (column > after)
    if upto is not None:
        condition = condition & (column <= upto)
    return condition


def _levels(period: date, after: uuid.UUID | None, upto: uuid.UUID | None):
    start, end = month_bounds(period)
    usage = UsageRecord.__table__.c
    stamp = usage.occurred_at.type
    continuing = select(Product.code).where(Product.continuing)
    window = {"partition_by": (usage.app_id, usage.product_code), "order_by": (usage.occurred_at, usage.id)}
    levels = (
        select(
            usage.account_id,
            usage.product_code,
            usage.quantity_micros,
            usage.occurred_at.label("held_from"),
            func.lead(usage.occurred_at, type_=stamp).over(**window).label("held_until"),
        )
        .where(usage.product_code.in_(continuing), usage.occurred_at < end, in_range(usage.account_id, after, upto))
        .subquery()
    )
    billed = select(Bill.id).where(Bill.account_id == levels.c.account_id, Bill.period == period).exists()
    month_end = literal(end - timedelta(microseconds=1), type_=stamp)
    return priced(
        select(
            levels.c.account_id,
            levels.c.product_code,
            levels.c.quantity_micros,
            levels.c.held_from,
            levels.c.held_until,
        ).select_from(levels),
        levels.c.account_id,
        levels.c.product_code,
        month_end,
    ).where(
        levels.c.quantity_micros > 0,
        levels.c.held_until.is_(None) | (levels.c.held_until > literal(start, type_=stamp)),
        ~billed,
    )


async def held_quantities(
    session: AsyncSession, period: date, *, after: uuid.UUID | None = None, upto: uuid.UUID | None = None
) -> dict[Key, int]:
    """{(account, product, unit price): the month's time-weighted quantity in millionths}, of the
    accounts in ``in_range(after, upto)`` (an app's levels all belong to its one account)."""
    start, end = month_bounds(period)
    micro = timedelta(microseconds=1)
    month = (end - start) // micro
    exact: dict[Key, Fraction] = defaultdict(Fraction)
    for account_id, product, level, held_from, held_until, unit_price_fen in await session.execute(
        _levels(period, after, upto)
    ):
        held = (min(held_until or end, end) - max(held_from, start)) // micro
        if held > 0:
            exact[(account_id, product, unit_price_fen)] += Fraction(level * held, month)
    rounded = {key: int(value + Fraction(1, 2)) for key, value in exact.items()}  # half-up, non-negative
    return {key: micros for key, micros in rounded.items() if micros > 0}
