"""BIL-2, BIL-3, BIL-4, BIL-8: the monthly bill run.

Set-based: one aggregate query prices a whole month of every account's usage (each record at
the supplementary-agreement price, else the list price, in force when it occurred) and groups
it into lines; Python only applies discounts to those lines and bulk-inserts bills, lines and
their email notices. Nothing loops over usage records.

Idempotent: ``bills`` is unique on (account, period) and bills are inserted with ON CONFLICT DO
NOTHING, so a second run — also one running at the same moment in another process — issues
nothing new; only the bills this run inserted get lines and notices.

BIL-2: an account with any usage that has neither price is not billed at all (no line is ever
priced at zero); it is held and reported, and a later run bills it once a price exists.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Account,
    AgreementPrice,
    Bill,
    BillHold,
    BillLine,
    BillRun,
    BillState,
    Discount,
    DiscountCondition,
    LineKind,
    ListPrice,
    Notice,
    NoticePurpose,
    Product,
    UsageRecord,
)
from models.base import new_id
from services import events
from services.batch import insert_for, new_row
from services.clock import SHANGHAI, local_date
from services.errors import InvalidInput
from services.money import discount_fen, fen_to_yuan, line_amount_fen, micros_to_quantity
from services.notices import email_row


@dataclass(frozen=True, slots=True)
class RunResult:
    issued: int
    held: int
    unpriced: dict[uuid.UUID, list[str]]


@dataclass(frozen=True, slots=True)
class _Group:
    account_id: uuid.UUID
    product: str
    unit_price_fen: int | None
    quantity_micros: int


def month_bounds(period: date) -> tuple[datetime, datetime]:
    """T-1: the month's first and next month's first instant, Asia/Shanghai, as UTC."""
    following = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    start = datetime.combine(period, time(), tzinfo=SHANGHAI).astimezone(UTC)
    end = datetime.combine(following, time(), tzinfo=SHANGHAI).astimezone(UTC)
    return start, end


def previous_period(now: datetime) -> date:
    first = local_date(now).replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def _price_ranges(model, *, per_account: bool):
    """Each price with the instant the next one of its product (and account) replaced it:
    joining on a range prices every usage row in one pass, instead of a lookup per row."""
    partition = (model.account_id, model.product_code) if per_account else (model.product_code,)
    columns = [model.product_code, model.unit_price_fen, model.effective_from.label("valid_from")]
    if per_account:
        columns.append(model.account_id)
    until = func.lead(model.effective_from).over(partition_by=partition, order_by=model.effective_from)
    return select(*columns, until.label("valid_until")).subquery()


def _priced(query: Select, account_id, product, at) -> Select:
    """BIL-2: the account's agreement price wins over the list price; NULL when neither exists."""
    agreement = _price_ranges(AgreementPrice, per_account=True)
    standard = _price_ranges(ListPrice, per_account=False)

    def in_force(ranges):
        return (
            (ranges.c.product_code == product)
            & (ranges.c.valid_from <= at)
            & (ranges.c.valid_until.is_(None) | (at < ranges.c.valid_until))
        )

    return (
        query.add_columns(func.coalesce(agreement.c.unit_price_fen, standard.c.unit_price_fen).label("unit_price_fen"))
        .outerjoin(agreement, in_force(agreement) & (agreement.c.account_id == account_id))
        .outerjoin(standard, in_force(standard))
    )


def _grouped_usage(period: date) -> Select:
    start, end = month_bounds(period)
    usage = UsageRecord.__table__.c
    not_billed = ~select(Bill.id).where(Bill.account_id == usage.account_id, Bill.period == period).exists()
    continuing = select(Product.code).where(Product.continuing)
    # Usage fees: every record of the month, at the price in force when it occurred.
    metered = _priced(
        select(usage.account_id, usage.product_code, usage.quantity_micros).select_from(UsageRecord.__table__),
        usage.account_id,
        usage.product_code,
        usage.occurred_at,
    ).where(
        usage.occurred_at >= start,
        usage.occurred_at < end,
        usage.product_code.not_in(continuing),
        not_billed,
    )
    # BIL-8: a held resource is billed every month at its last reported level, new use or not.
    latest = (
        select(
            usage.account_id,
            usage.product_code,
            usage.quantity_micros,
            func.row_number()
            .over(partition_by=(usage.app_id, usage.product_code), order_by=(usage.occurred_at.desc(), usage.id.desc()))
            .label("newest"),
        )
        .where(usage.occurred_at < end, usage.product_code.in_(continuing), not_billed)
        .subquery()
    )
    month_end = literal(end - timedelta(microseconds=1), type_=UsageRecord.__table__.c.occurred_at.type)
    held = _priced(
        select(latest.c.account_id, latest.c.product_code, latest.c.quantity_micros).select_from(latest),
        latest.c.account_id,
        latest.c.product_code,
        month_end,
    ).where(latest.c.newest == 1, latest.c.quantity_micros > 0)
    priced = union_all(metered, held).subquery()
    return (
        select(
            priced.c.account_id,
            priced.c.product_code,
            priced.c.unit_price_fen,
            func.sum(priced.c.quantity_micros).label("quantity_micros"),
        )
        .group_by(priced.c.account_id, priced.c.product_code, priced.c.unit_price_fen)
        .having(func.sum(priced.c.quantity_micros) > 0)
        .order_by(priced.c.account_id, priced.c.product_code, priced.c.unit_price_fen)
    )


async def _discounts(
    session: AsyncSession, period: date, account_ids: set[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], list[tuple[Discount, datetime]]]:
    _, end = month_bounds(period)
    last_day = local_date(end) - timedelta(days=1)
    query = (
        select(Discount, Account.created_at)
        .join(Account, Account.id == Discount.account_id)
        .where(
            Discount.valid_from <= last_day,
            (Discount.valid_until.is_(None)) | (Discount.valid_until >= period),
        )
    )
    found: dict[tuple[uuid.UUID, str], list[tuple[Discount, datetime]]] = defaultdict(list)
    for discount, created_at in await session.execute(query):
        if discount.account_id in account_ids:
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


def _bill_email(account, period: date, total_fen: int, lines: list[dict]) -> tuple[str, str]:
    month = period.strftime("%Y-%m")
    rows = [
        f"  {line['product_code']}: {micros_to_quantity(line['quantity_micros']).normalize():f} x "
        f"{fen_to_yuan(line['unit_price_fen'])} - {fen_to_yuan(line['discount_fen'])} = "
        f"{fen_to_yuan(line['amount_fen'])} CNY"
        for line in lines
    ]
    body = "\n".join(
        [
            f"{account.name}:",
            f"您 {month} 的账单 / Your bill for {month}:",
            *rows,
            f"合计 / Total: {fen_to_yuan(total_fen)} CNY",
            "请在送达后 2 个工作日内确认或提出异议，逾期视为认可。",
            "Confirm or dispute it within 2 working days of delivery; after that it is deemed accepted.",
        ]
    )
    return f"账单 / Bill {month}", body


async def run_monthly_billing(session: AsyncSession, *, period: date, ran_by: str, now: datetime) -> RunResult:
    if period.day != 1:
        raise InvalidInput("the period is the first day of the month to bill", field=["period"])
    if month_bounds(period)[1] > now:
        raise InvalidInput("a month is billed after it has ended", field=["period"])

    groups = [_Group(*row) for row in await session.execute(_grouped_usage(period))]
    by_account: dict[uuid.UUID, list[_Group]] = defaultdict(list)
    for group in groups:
        by_account[group.account_id].append(group)
    unpriced = {
        account_id: sorted({g.product for g in account_groups if g.unit_price_fen is None})
        for account_id, account_groups in by_account.items()
        if any(g.unit_price_fen is None for g in account_groups)
    }
    billable = {account_id: gs for account_id, gs in by_account.items() if account_id not in unpriced}
    offers = await _discounts(session, period, set(billable))

    bills, lines = [], []
    for account_id, account_groups in billable.items():
        bill_id, total = new_id(), 0
        monthly = defaultdict(int)
        for group in account_groups:
            monthly[group.product] += group.quantity_micros
        for group in account_groups:
            assert group.unit_price_fen is not None
            gross = line_amount_fen(group.quantity_micros, group.unit_price_fen)
            points, description = _discounted(
                monthly[group.product], offers.get((account_id, group.product), []), period
            )
            discount = discount_fen(gross, points)
            total += gross - discount
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
                    description=description,
                )
            )
        bills.append(
            new_row(
                now,
                id=bill_id,
                account_id=account_id,
                period=period,
                state=BillState.ISSUED,
                total_fen=total,
                issued_at=now,
                paid_fen=0,
            )
        )

    inserted: set[uuid.UUID] = set()
    if bills:
        statement = insert_for(session, Bill).on_conflict_do_nothing(index_elements=["account_id", "period"])
        returned = await session.execute(statement.returning(Bill.id), bills)
        inserted = set(returned.scalars())
    new_lines = [line for line in lines if line["bill_id"] in inserted]
    if new_lines:
        await session.execute(insert_for(session, BillLine), new_lines)
    issued = [b for b in bills if b["id"] in inserted]
    await _queue_bill_emails(session, period, issued, new_lines, now)
    await events.record_many(
        session,
        [
            events.event_row(
                account_id=b["account_id"],
                type="bill.issued",
                at=now,
                data={
                    "bill": events.global_id("Bill", b["id"]),
                    "period": period.isoformat(),
                    "total": str(fen_to_yuan(b["total_fen"])),
                },
            )
            for b in issued
        ],
    )
    await _record_holds(session, period, unpriced, now=now)
    session.add(BillRun(period=period, ran_at=now, ran_by=ran_by, issued=len(inserted), held=len(unpriced)))
    await session.flush()
    return RunResult(issued=len(inserted), held=len(unpriced), unpriced=unpriced)


async def _queue_bill_emails(
    session: AsyncSession, period: date, bills: list[dict], lines: list[dict], now: datetime
) -> None:
    if not bills:
        return
    # Joined, not `IN (…ids)`: tens of thousands of accounts exceed a driver's parameter limit.
    query = (
        select(Account.id, Account.name, Account.email)
        .join(Bill, Bill.account_id == Account.id)
        .where(Bill.period == period)
    )
    accounts = {row.id: row for row in await session.execute(query)}
    lines_of: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for line in lines:
        lines_of[line["bill_id"]].append(line)
    notices = []
    for bill in bills:
        account = accounts[bill["account_id"]]
        subject, body = _bill_email(account, bill["period"], bill["total_fen"], lines_of[bill["id"]])
        notices.append(
            email_row(
                account_id=account.id,
                email=account.email,
                subject=subject,
                body=body,
                purpose=NoticePurpose.BILL,
                bill_id=bill["id"],
                now=now,
            )
        )
    await session.execute(insert_for(session, Notice), notices)


async def _record_holds(
    session: AsyncSession, period: date, unpriced: dict[uuid.UUID, list[str]], *, now: datetime
) -> None:
    """BIL-2: one hold per account and month, naming the unpriced products; a hold goes away
    once the account's bill is issued."""
    billed = select(Bill.account_id).where(Bill.period == period)
    await session.execute(BillHold.__table__.delete().where(BillHold.period == period, BillHold.account_id.in_(billed)))
    if not unpriced:
        return
    rows = [
        new_row(now, account_id=account_id, period=period, products=products, detected_at=now)
        for account_id, products in unpriced.items()
    ]
    statement = insert_for(session, BillHold)
    statement = statement.on_conflict_do_update(
        index_elements=["account_id", "period"], set_={"products": statement.excluded.products}
    )
    await session.execute(statement, rows)


async def holds(session: AsyncSession, period: date | None = None) -> list[BillHold]:
    query = select(BillHold).order_by(BillHold.period, BillHold.account_id)
    if period is not None:
        query = query.where(BillHold.period == period)
    return list((await session.execute(query)).scalars())


async def has_run(session: AsyncSession, period: date) -> bool:
    found = await session.execute(select(BillRun.id).where(BillRun.period == period).limit(1))
    return found.first() is not None
