"""BIL-1, BIL-3: what the bill run writes for one account: its bill's lines (each group of usage
at its price, less the best discount whose condition the month's figures meet), the bill, and the
text of its email notice. Pure: rows in, rows out; run.py reads and inserts them."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, BillState, Discount, DiscountCondition, LineKind
from models.base import new_id
from services.batch import new_row
from services.billing.pricing import month_bounds
from services.clock import local_date
from services.money import discount_fen, fen_to_yuan, line_amount_fen, micros_to_quantity

Offers = dict[tuple[uuid.UUID, str], list[tuple[Discount, datetime]]]


@dataclass(frozen=True, slots=True)
class Group:
    """The usage of one account, product, price and month, summed."""

    account_id: uuid.UUID
    product: str
    unit_price_fen: int | None
    service_period: date
    quantity_micros: int


async def discounts(session: AsyncSession, period: date, accounts) -> Offers:
    """The discounts valid in the month of the accounts ``accounts`` selects (a condition on
    Discount.account_id), with each account's creation time (BIL-3 tenure)."""
    _, end = month_bounds(period)
    last_day = local_date(end) - timedelta(days=1)
    query = (
        select(Discount, Account.created_at)
        .join(Account, Account.id == Discount.account_id)
        .where(
            accounts,
            Discount.valid_from <= last_day,
            (Discount.valid_until.is_(None)) | (Discount.valid_until >= period),
        )
    )
    found: Offers = defaultdict(list)
    for discount, created_at in await session.execute(query):
        found[(discount.account_id, discount.product_code)].append((discount, created_at))
    return found


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


def condition_met(discount: Discount, *, quantity_micros: int, account_created: datetime, period: date) -> bool:
    """BIL-3: evaluated at settlement of the month, i.e. on the month's own figures."""
    if discount.condition == DiscountCondition.MIN_MONTHLY_QUANTITY:
        return quantity_micros >= discount.threshold
    _, end = month_bounds(period)
    return _months_between(local_date(account_created), local_date(end)) >= discount.threshold


def _discounted(quantity_micros: int, offers: list[tuple[Discount, datetime]], period: date) -> tuple[int, str | None]:
    """(basis points, description) of the best discount whose condition is met; unmet
    conditions are named on the line, which then uses the undiscounted price (BIL-3)."""
    best, unmet = None, []
    for discount, created in offers:
        if condition_met(discount, quantity_micros=quantity_micros, account_created=created, period=period):
            if best is None or discount.basis_points > best.basis_points:
                best = discount
        else:
            unmet.append(discount.reference)
    if best is not None:
        return best.basis_points, f"discount {best.basis_points / 100:g}% ({best.reference})"
    if unmet:
        return 0, f"condition not met, no discount ({', '.join(unmet)})"
    return 0, None


def _late(service_period: date, period: date) -> str | None:
    if service_period == period:
        return None
    return f"late usage of {service_period:%Y-%m} / {service_period:%Y-%m} 的补报用量"


def bill_rows(
    account_id: uuid.UUID, groups: list[Group], offers: Offers, period: date, now: datetime
) -> tuple[dict, list[dict]]:
    """The bill and its lines for one account's priced groups (all with a price, BIL-2)."""
    bill_id, total = new_id(), 0
    monthly: dict[str, int] = defaultdict(int)
    for group in groups:
        if group.service_period == period:
            monthly[group.product] += group.quantity_micros
    lines = []
    for group in groups:
        assert group.unit_price_fen is not None
        gross = line_amount_fen(group.quantity_micros, group.unit_price_fen)
        points, description = _discounted(monthly[group.product], offers.get((account_id, group.product), []), period)
        discount = discount_fen(gross, points)
        total += gross - discount
        notes = [note for note in (_late(group.service_period, period), description) if note]
        lines.append(
            new_row(
                now,
                bill_id=bill_id,
                kind=LineKind.USAGE,
                product_code=group.product,
                quantity_micros=group.quantity_micros,
                unit_price_fen=group.unit_price_fen,
                discount_fen=discount,
                amount_fen=gross - discount,
                description="; ".join(notes) or None,
                service_period=group.service_period,
            )
        )
    bill = new_row(
        now,
        id=bill_id,
        account_id=account_id,
        period=period,
        state=BillState.ISSUED,
        total_fen=total,
        issued_at=now,
        paid_fen=0,
    )
    return bill, lines


def _month_note(service_period: date, period: date) -> str:
    return "" if service_period == period else f" ({service_period:%Y-%m})"


def bill_email(name: str, period: date, total_fen: int, lines: list[dict]) -> tuple[str, str]:
    """(subject, body) of the bill's email notice."""
    month = period.strftime("%Y-%m")
    rows = [
        f"  {line['product_code']}{_month_note(line['service_period'], period)}: "
        f"{micros_to_quantity(line['quantity_micros']).normalize():f} x "
        f"{fen_to_yuan(line['unit_price_fen'])} - {fen_to_yuan(line['discount_fen'])} = "
        f"{fen_to_yuan(line['amount_fen'])} CNY"
        for line in lines
    ]
    body = "\n".join(
        [
            f"{name}:",
            f"您 {month} 的账单 / Your bill for {month}:",
            *rows,
            f"合计 / Total: {fen_to_yuan(total_fen)} CNY",
            "请在送达后 2 个工作日内确认或提出异议，逾期视为认可。",
            "Confirm or dispute it within 2 working days of delivery; after that it is deemed accepted.",
        ]
    )
    return f"账单 / Bill {month}", body
