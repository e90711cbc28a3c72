"""BIL-1, BIL-2, BIL-3, BIL-4, BIL-8: the monthly bill run.

Set-based: one UPDATE claims the usage records the run bills (BIL-1: every metered record up
to the month's end that no bill carries yet, so usage reported after its month was billed goes
on the next bill as a late line naming its month); one aggregate query prices them (each record
at the supplementary-agreement price, else the list price, in force for the account when it
occurred, services/billing/pricing.py) and groups them into lines per product, price and month.
Continuing charges are time-weighted per month (BIL-8, services/billing/storage.py). Python
only applies discounts to those lines and bulk-inserts bills, lines and their email notices.
Nothing loops over usage records.

Idempotent: ``bills`` is unique on (account, period) and bills are inserted with ON CONFLICT DO
NOTHING, so a second run — also one running at the same moment in another process — issues
nothing new; only the bills this run inserted get lines and notices.

BIL-2: an account with any usage that has neither price is not billed at all (no line is ever
priced at zero); it is held and reported, and a later run bills it once a price exists.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, func, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Account,
    Bill,
    BillHold,
    BillLine,
    BillRun,
    BillState,
    Discount,
    DiscountCondition,
    LineKind,
    Notice,
    NoticePurpose,
    Product,
    UsageRecord,
)
from models.base import new_id
from services import events
from services.batch import insert_for, new_row
from services.billing import storage
from services.billing.pricing import month_bounds, priced
from services.clock import first_of_next_month, local_date
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
    service_period: date
    quantity_micros: int


def previous_period(now: datetime) -> date:
    first = local_date(now).replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


async def _claim(session: AsyncSession, run: BillRun) -> None:
    """BIL-1: mark every metered record up to the month's end that no bill carries yet as this
    run's: the month's own usage and late usage of earlier months alike. Claiming first makes
    the run read exactly what it marks (a record reported meanwhile waits for the next bill),
    and a concurrent run of the same month skips what this one claimed."""
    _, end = month_bounds(run.period)
    usage = UsageRecord.__table__.c
    billed = select(Bill.id).where(Bill.account_id == usage.account_id, Bill.period == run.period).exists()
    await session.execute(
        update(UsageRecord.__table__)
        .where(
            usage.bill_run_id.is_(None),
            usage.occurred_at < end,
            usage.product_code.not_in(select(Product.code).where(Product.continuing)),
            ~billed,
        )
        .values(bill_run_id=run.id)
    )


async def _months(session: AsyncSession, run: BillRun):
    """The months the claimed records fall in (Asia/Shanghai), as a small table to join on."""
    first = await session.scalar(select(func.min(UsageRecord.occurred_at)).where(UsageRecord.bill_run_id == run.id))
    period = local_date(first).replace(day=1) if first is not None else run.period
    stamp = UsageRecord.__table__.c.occurred_at.type
    rows = []
    while period <= run.period:
        start, end = month_bounds(period)
        rows.append(
            select(
                literal(period, type_=Date()).label("period"),
                literal(start, type_=stamp).label("starts"),
                literal(end, type_=stamp).label("ends"),
            )
        )
        period = first_of_next_month(period)
    return (union_all(*rows) if len(rows) > 1 else rows[0]).subquery()


async def _metered(session: AsyncSession, run: BillRun) -> list[_Group]:
    """Usage fees: each claimed record at the price in force when it occurred, grouped by the
    month it belongs to (a late line for an earlier month, BIL-1)."""
    usage = UsageRecord.__table__.c
    months = await _months(session, run)
    rows = priced(
        select(usage.account_id, usage.product_code, usage.quantity_micros, months.c.period.label("service_period"))
        .select_from(UsageRecord.__table__)
        .join(months, (usage.occurred_at >= months.c.starts) & (usage.occurred_at < months.c.ends)),
        usage.account_id,
        usage.product_code,
        usage.occurred_at,
    ).where(usage.bill_run_id == run.id)
    priced_rows = rows.subquery()
    columns = (
        priced_rows.c.account_id,
        priced_rows.c.product_code,
        priced_rows.c.unit_price_fen,
        priced_rows.c.service_period,
    )
    query = (
        select(*columns, func.sum(priced_rows.c.quantity_micros))
        .group_by(*columns)
        .having(func.sum(priced_rows.c.quantity_micros) > 0)
    )
    return [_Group(*row) for row in await session.execute(query)]


async def _groups(session: AsyncSession, run: BillRun) -> list[_Group]:
    groups = await _metered(session, run)
    held = await storage.held_quantities(session, run.period)
    groups += [_Group(account, product, fen, run.period, micros) for (account, product, fen), micros in held.items()]
    return sorted(groups, key=lambda g: (str(g.account_id), g.service_period, g.product, g.unit_price_fen or 0))


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


def _late(service_period: date, period: date) -> str | None:
    if service_period == period:
        return None
    return f"late usage of {service_period:%Y-%m} / {service_period:%Y-%m} 的补报用量"


def _month_note(service_period: date, period: date) -> str:
    return "" if service_period == period else f" ({service_period:%Y-%m})"


def _bill_email(account, period: date, total_fen: int, lines: list[dict]) -> tuple[str, str]:
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

    run = BillRun(period=period, ran_at=now, ran_by=ran_by, issued=0, held=0)
    session.add(run)
    await session.flush()
    await _claim(session, run)
    groups = await _groups(session, run)
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
            if group.service_period == period:
                monthly[group.product] += group.quantity_micros
        for group in account_groups:
            assert group.unit_price_fen is not None
            gross = line_amount_fen(group.quantity_micros, group.unit_price_fen)
            points, description = _discounted(
                monthly[group.product], offers.get((account_id, group.product), []), period
            )
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
    # Held accounts' records (and those of a bill a concurrent run issued first) wait, unbilled.
    await _release(session, run, set(by_account) - {b["account_id"] for b in bills if b["id"] in inserted})
    run.issued, run.held = len(inserted), len(unpriced)
    await session.flush()
    return RunResult(issued=len(inserted), held=len(unpriced), unpriced=unpriced)


async def _release(session: AsyncSession, run: BillRun, account_ids: set[uuid.UUID]) -> None:
    ids = sorted(account_ids)
    usage = UsageRecord.__table__.c
    for chunk in range(0, len(ids), 500):  # held accounts are few; chunks keep under parameter limits
        await session.execute(
            update(UsageRecord.__table__)
            .where(usage.bill_run_id == run.id, usage.account_id.in_(ids[chunk : chunk + 500]))
            .values(bill_run_id=None)
        )


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
