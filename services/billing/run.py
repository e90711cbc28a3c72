"""BIL-1, BIL-2, BIL-3, BIL-4, BIL-8: the monthly bill run.

Set-based, in chunks of accounts (keyset on account id, so memory and each transaction stay
bounded whatever the number of accounts). Per chunk: one UPDATE claims the usage records the
run bills (BIL-1: every metered record up to the month's end that no bill carries yet, so usage
reported after its month was billed goes on the next bill as a late line naming its month); one
aggregate query prices them (each record at the supplementary-agreement price, else the list
price, in force for the account when it occurred, services/billing/pricing.py) and groups them
into lines per product, price and month. Continuing charges are time-weighted per month (BIL-8,
services/billing/storage.py). Python only applies discounts to those lines and bulk-inserts
bills, lines, their email notices and ``bill.issued`` events. Nothing loops over usage records.

Transactions: ``checkpoint`` runs after each chunk; the sweep (`accord jobs run`, the loop in
`accord serve`) commits there, so an account's claim marks, bill, lines, notice and event commit
together or not at all, and a crash loses at most the chunk in flight. The run's ``finished_at``
is set last: a month whose run has none is run again by the next sweep, which completes the
remainder. A request (``runMonthlyBilling``, ``runDueJobs``) passes no checkpoint and stays one
transaction.

Idempotent: ``bills`` is unique on (account, period) and bills are inserted with ON CONFLICT DO
NOTHING, so a second run — also one running at the same moment in another process — issues
nothing new; only the bills this run inserted get lines and notices.

BIL-2: an account with any usage that has neither price is not billed at all (no line is ever
priced at zero); it is held and reported, and a later run bills it once a price exists.
"""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, func, insert, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, Bill, BillHold, BillLine, BillRun, Discount, Notice, NoticePurpose, Product, UsageRecord
from models.base import new_id
from services import events
from services.batch import insert_for, new_row
from services.billing import issue, storage
from services.billing.issue import Group
from services.billing.pricing import month_bounds, priced
from services.billing.storage import in_range
from services.clock import first_of_next_month, local_date
from services.errors import InvalidInput
from services.money import fen_to_yuan
from services.notices import email_row

# Accounts per chunk: large enough that per-statement costs vanish, small enough that a chunk's
# rows (about 7 lines, a notice and an event per account) stay a few megabytes.
CHUNK_ACCOUNTS = 2000


@dataclass(frozen=True, slots=True)
class RunResult:
    issued: int
    held: int
    unpriced: dict[uuid.UUID, list[str]]


@dataclass(frozen=True, slots=True)
class _Chunk:
    run_id: uuid.UUID
    period: date
    now: datetime
    after: uuid.UUID | None  # accounts with ids in (after, upto]
    upto: uuid.UUID

    def covers(self, column):
        return in_range(column, self.after, self.upto)


def previous_period(now: datetime) -> date:
    first = local_date(now).replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


async def run_monthly_billing(
    session: AsyncSession,
    *,
    period: date,
    ran_by: str,
    now: datetime,
    chunk_accounts: int = CHUNK_ACCOUNTS,
    checkpoint: Callable[[], Awaitable[None]] | None = None,
) -> RunResult:
    if period.day != 1:
        raise InvalidInput("the period is the first day of the month to bill", field=["period"])
    if month_bounds(period)[1] > now:
        raise InvalidInput("a month is billed after it has ended", field=["period"])

    run_id = new_id()
    await session.execute(
        insert(BillRun), [new_row(now, id=run_id, period=period, ran_at=now, ran_by=ran_by, issued=0, held=0)]
    )
    issued, unpriced = 0, {}
    after: uuid.UUID | None = None
    while True:
        upto = await _chunk_end(session, after, chunk_accounts)
        if upto is None:
            break
        chunk = _Chunk(run_id, period, now, after, upto)
        chunk_issued, chunk_unpriced = await _bill_chunk(session, chunk)
        issued += chunk_issued
        unpriced |= chunk_unpriced
        await _count(session, run_id, issued=chunk_issued, held=len(chunk_unpriced))
        if checkpoint is not None:
            await checkpoint()
        after = upto
    await _count(session, run_id, issued=0, held=0, finished_at=now)
    return RunResult(issued=issued, held=len(unpriced), unpriced=unpriced)


async def _chunk_end(session: AsyncSession, after: uuid.UUID | None, size: int) -> uuid.UUID | None:
    """The id of the ``size``-th account after ``after`` (or of the last one): the chunk's end."""
    later = select(Account.id).where(in_range(Account.id, after, None))
    found = await session.scalar(later.order_by(Account.id).offset(size - 1).limit(1))
    if found is not None:
        return found
    return await session.scalar(later.order_by(Account.id.desc()).limit(1))


async def _count(session: AsyncSession, run_id: uuid.UUID, *, issued: int, held: int, **values) -> None:
    """The run's tallies so far, written with each chunk (a crashed run says what it did)."""
    runs = BillRun.__table__.c
    await session.execute(
        update(BillRun.__table__)
        .where(runs.id == run_id)
        .values(issued=runs.issued + issued, held=runs.held + held, **values)
    )


async def _bill_chunk(session: AsyncSession, chunk: _Chunk) -> tuple[int, dict[uuid.UUID, list[str]]]:
    """Bill the chunk's accounts: (bills issued, {held account: its unpriced products})."""
    await _claim(session, chunk)
    by_account: dict[uuid.UUID, list[Group]] = defaultdict(list)
    for group in await _groups(session, chunk):
        by_account[group.account_id].append(group)
    unpriced = {
        account_id: sorted({g.product for g in groups if g.unit_price_fen is None})
        for account_id, groups in by_account.items()
        if any(g.unit_price_fen is None for g in groups)
    }
    offers = await issue.discounts(session, chunk.period, chunk.covers(Discount.account_id)) if by_account else {}
    bills, lines = [], []
    for account_id, groups in by_account.items():
        if account_id not in unpriced:
            bill, bill_lines = issue.bill_rows(account_id, groups, offers, chunk.period, chunk.now)
            bills.append(bill)
            lines += bill_lines

    inserted: set[uuid.UUID] = set()
    if bills:
        statement = insert_for(session, Bill).on_conflict_do_nothing(index_elements=["account_id", "period"])
        inserted = set((await session.execute(statement.returning(Bill.id), bills)).scalars())
    issued = [b for b in bills if b["id"] in inserted]
    new_lines = [line for line in lines if line["bill_id"] in inserted]
    if new_lines:
        await session.execute(insert(BillLine), new_lines)
    await _queue_bill_emails(session, chunk, issued, new_lines)
    await events.record_many(session, [_issued_event(b) for b in issued])
    await _record_holds(session, chunk, unpriced)
    # Held accounts' records (and those of a bill a concurrent run issued first) wait, unbilled.
    await _release(session, chunk, set(by_account) - {b["account_id"] for b in issued})
    return len(issued), unpriced


async def _claim(session: AsyncSession, chunk: _Chunk) -> None:
    """BIL-1: mark every metered record of the chunk's accounts up to the month's end that no
    bill carries yet as this run's: the month's own usage and late usage of earlier months
    alike. Claiming first makes the run read exactly what it marks (a record reported meanwhile
    waits for the next bill), and a concurrent run of the same month skips what this one
    claimed."""
    _, end = month_bounds(chunk.period)
    usage = UsageRecord.__table__.c
    billed = select(Bill.id).where(Bill.account_id == usage.account_id, Bill.period == chunk.period).exists()
    await session.execute(
        update(UsageRecord.__table__)
        .where(
            chunk.covers(usage.account_id),
            usage.bill_run_id.is_(None),
            usage.occurred_at < end,
            usage.product_code.not_in(select(Product.code).where(Product.continuing)),
            ~billed,
        )
        .values(bill_run_id=chunk.run_id)
    )


def _claimed(chunk: _Chunk):
    """The chunk's claimed records (the (bill_run_id, account_id) index finds exactly these)."""
    usage = UsageRecord.__table__.c
    return (usage.bill_run_id == chunk.run_id) & chunk.covers(usage.account_id)


async def _months(session: AsyncSession, chunk: _Chunk):
    """The months the claimed records fall in (Asia/Shanghai), as a small table to join on."""
    first = await session.scalar(select(func.min(UsageRecord.occurred_at)).where(_claimed(chunk)))
    period = local_date(first).replace(day=1) if first is not None else chunk.period
    stamp = UsageRecord.__table__.c.occurred_at.type
    rows = []
    while period <= chunk.period:
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


async def _metered(session: AsyncSession, chunk: _Chunk) -> list[Group]:
    """Usage fees: each claimed record at the price in force when it occurred, grouped by the
    month it belongs to (a late line for an earlier month, BIL-1)."""
    usage = UsageRecord.__table__.c
    months = await _months(session, chunk)
    rows = priced(
        select(usage.account_id, usage.product_code, usage.quantity_micros, months.c.period.label("service_period"))
        .select_from(UsageRecord.__table__)
        .join(months, (usage.occurred_at >= months.c.starts) & (usage.occurred_at < months.c.ends)),
        usage.account_id,
        usage.product_code,
        usage.occurred_at,
    ).where(_claimed(chunk))
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
    return [Group(*row) for row in await session.execute(query)]


async def _groups(session: AsyncSession, chunk: _Chunk) -> list[Group]:
    groups = await _metered(session, chunk)
    held = await storage.held_quantities(session, chunk.period, after=chunk.after, upto=chunk.upto)
    groups += [Group(account, product, fen, chunk.period, micros) for (account, product, fen), micros in held.items()]
    return sorted(groups, key=lambda g: (str(g.account_id), g.service_period, g.product, g.unit_price_fen or 0))


def _issued_event(bill: dict) -> dict:
    return events.event_row(
        account_id=bill["account_id"],
        type="bill.issued",
        at=bill["issued_at"],
        data={
            "bill": events.global_id("Bill", bill["id"]),
            "period": bill["period"].isoformat(),
            "total": str(fen_to_yuan(bill["total_fen"])),
        },
    )


async def _release(session: AsyncSession, chunk: _Chunk, account_ids: set[uuid.UUID]) -> None:
    ids = sorted(account_ids)
    usage = UsageRecord.__table__.c
    for start in range(0, len(ids), 500):  # held accounts are few; chunks keep under parameter limits
        await session.execute(
            update(UsageRecord.__table__)
            .where(_claimed(chunk), usage.account_id.in_(ids[start : start + 500]))
            .values(bill_run_id=None)
        )


async def _queue_bill_emails(session: AsyncSession, chunk: _Chunk, bills: list[dict], lines: list[dict]) -> None:
    if not bills:
        return
    # The chunk's range, not `IN (…ids)`: a chunk's accounts may exceed a driver's parameter limit.
    query = select(Account.id, Account.name, Account.email).where(chunk.covers(Account.id))
    accounts = {row.id: row for row in await session.execute(query)}
    lines_of: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for line in lines:
        lines_of[line["bill_id"]].append(line)
    notices = []
    for bill in bills:
        account = accounts[bill["account_id"]]
        subject, body = issue.bill_email(account.name, bill["period"], bill["total_fen"], lines_of[bill["id"]])
        notices.append(
            email_row(
                account_id=account.id,
                email=account.email,
                subject=subject,
                body=body,
                purpose=NoticePurpose.BILL,
                bill_id=bill["id"],
                now=chunk.now,
            )
        )
    await session.execute(insert(Notice), notices)


async def _record_holds(session: AsyncSession, chunk: _Chunk, unpriced: dict[uuid.UUID, list[str]]) -> None:
    """BIL-2: one hold per account and month, naming the unpriced products; a hold goes away
    once the account's bill is issued."""
    billed = select(Bill.account_id).where(Bill.period == chunk.period, chunk.covers(Bill.account_id))
    await session.execute(
        BillHold.__table__.delete().where(BillHold.period == chunk.period, BillHold.account_id.in_(billed))
    )
    if not unpriced:
        return
    rows = [
        new_row(chunk.now, account_id=account_id, period=chunk.period, products=products, detected_at=chunk.now)
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
    """A run of the month finished (a crashed one did not: the next sweep runs it again)."""
    query = select(BillRun.id).where(BillRun.period == period, BillRun.finished_at.is_not(None)).limit(1)
    return (await session.execute(query)).first() is not None
