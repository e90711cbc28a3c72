"""BIL-6, PRE-3, PRE-4, PRE-5: settling bills from the prepaid balance, arrears and penalties.

Decisions written down here (RULES.md leaves them to us):

- Settlement deducts what the balance covers; the rest of the bill is unpaid principal
  (arrears). The balance never goes below zero; arrears and penalties are claims beside it.
- A payment (any credit while something is owed) settles principal first, oldest bill first,
  then accrued penalties. Principal first stops the 1‰ accrual soonest.
- A day's penalty is assessed on what was owed at the start of that Asia/Shanghai day
  (T-1): a payment on day d stops accrual from day d + 1.
- PRE-3's base is the shortfall less the bill's unpaid principal, so no fen bears both
  penalties (arrears take precedence). A later month's settlement supersedes an open shortfall.
- PRE-3 is a duty of the agreement's term: no shortfall penalty accrues for a day on or after
  the agreement's end (services/ledger/term.py), and a bill settled after the end opens no
  shortfall. PRE-4 penalties on unpaid principal continue (TRM-8: debts survive termination).
- Every change of balance or principal first materialises the accruals up to today with the
  state before the change, so stored accruals always used the right base; on read, the days
  not yet materialised are added with the current base, so answers are right between sweeps.
"""

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, Bill, BillState, LedgerEntry, LedgerKind, Notice, NoticePurpose, PenaltyAccrual, PenaltyKind
from services import events
from services.batch import insert_for, locked, new_row
from services.clock import local_date
from services.ledger import entries, term
from services.money import daily_rate_fen, fen_to_yuan
from services.notices import email_row

# PRE-5: overdue more than this many calendar days.
OVERDUE_ELIGIBLE_DAYS = 15


def unpaid_fen(bill: Bill) -> int:
    return max(bill.total_fen - bill.paid_fen, 0) if bill.settled_at is not None else 0


def shortfall_base_fen(bill: Bill, balance_fen: int) -> int:
    """PRE-3: consumption − balance, less the part that is arrears (PRE-4 takes precedence)."""
    if bill.shortfall_closed_at is not None or bill.settled_at is None:
        return 0
    return max(bill.total_fen - max(balance_fen, 0) - unpaid_fen(bill), 0)


def penalty_days(bill: Bill, after: date | None, through: date) -> list[date]:
    """The calendar days from the day after the due date (or after ``after``) to ``through``."""
    if bill.pay_by is None:
        return []
    first = local_date(bill.pay_by) + timedelta(days=1)
    if after is not None:
        first = max(first, after + timedelta(days=1))
    return [first + timedelta(days=i) for i in range((through - first).days + 1)]


@dataclass(frozen=True, slots=True)
class Owed:
    principal_fen: int
    penalties_fen: int
    oldest_due: datetime | None

    def overdue_days(self, now: datetime) -> int:
        if self.principal_fen == 0 or self.oldest_due is None or now <= self.oldest_due:
            return 0
        return (local_date(now) - local_date(self.oldest_due)).days

    def eligible_for_termination(self, now: datetime) -> bool:
        """PRE-5 / TRM-6: more than 15 days overdue."""
        return self.overdue_days(now) > OVERDUE_ELIGIBLE_DAYS


async def _open_bills(session: AsyncSession, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Bill]]:
    """Settled bills that still owe principal or carry an open shortfall."""
    query = (
        select(inspect(Bill))  # the mapper: no AttributeError raised in pydantic (services/pagination.py)
        .where(
            Bill.account_id.in_(account_ids),
            Bill.settled_at.is_not(None),
            (Bill.paid_fen < Bill.total_fen) | Bill.shortfall_closed_at.is_(None),
        )
        .order_by(Bill.period)
    )
    found: dict[uuid.UUID, list[Bill]] = defaultdict(list)
    for bill in (await session.execute(query)).scalars():
        found[bill.account_id].append(bill)
    return found


def _pending_accruals(bills: list[Bill], balance_fen: int, through: date, ends: date | None) -> list[dict]:
    """The accrual rows not stored yet, each day at today's base (see the module docstring);
    ``ends``: the first day without the agreement, from which PRE-3 accrues nothing."""
    rows = []
    for bill in bills:
        for kind, base in (
            (PenaltyKind.ARREARS, unpaid_fen(bill)),
            (PenaltyKind.SHORTFALL, shortfall_base_fen(bill, balance_fen)),
        ):
            amount = daily_rate_fen(base)
            if amount == 0:
                continue
            last = through
            if kind == PenaltyKind.SHORTFALL and ends is not None:
                last = min(through, ends - timedelta(days=1)) if ends > date.min else date.min
            for day in penalty_days(bill, bill.accrued_through, last):
                rows.append(
                    {"bill_id": bill.id, "account_id": bill.account_id, "kind": kind, "day": day, "base_fen": base}
                    | {"amount_fen": amount}
                )
    return rows


async def _penalties_paid(session: AsyncSession, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    query = (
        select(LedgerEntry.account_id, func.sum(-LedgerEntry.amount_fen))
        .where(LedgerEntry.account_id.in_(account_ids), LedgerEntry.kind == LedgerKind.PENALTY)
        .group_by(LedgerEntry.account_id)
    )
    return {account_id: int(total) for account_id, total in await session.execute(query)}


async def _accrued(session: AsyncSession, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    query = (
        select(PenaltyAccrual.account_id, func.sum(PenaltyAccrual.amount_fen))
        .where(PenaltyAccrual.account_id.in_(account_ids))
        .group_by(PenaltyAccrual.account_id)
    )
    return {account_id: int(total) for account_id, total in await session.execute(query)}


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What one statement reads of an account for its balance and what it owes: the balance,
    the stored penalty accruals and the penalties paid, and the agreement's end (term.py)."""

    balance_fen: int
    accrued_fen: int
    penalties_paid_fen: int
    ends: date | None


async def account_facts(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, AccountFacts]:
    """The facts of many accounts in one statement (correlated sums, each on an index), where
    five separate reads used to cost five round trips (issue 15: the console's first screen)."""
    accrued = (
        select(func.coalesce(func.sum(PenaltyAccrual.amount_fen), 0))
        .where(PenaltyAccrual.account_id == Account.id)
        .scalar_subquery()
    )
    paid = (
        select(func.coalesce(func.sum(-LedgerEntry.amount_fen), 0))
        .where(LedgerEntry.account_id == Account.id, LedgerEntry.kind == LedgerKind.PENALTY)
        .scalar_subquery()
    )
    query = select(
        Account.id, Account.balance_fen, Account.standing, accrued, paid, term.requested_end(Account.id)
    ).where(Account.id.in_(account_ids))
    return {
        account_id: AccountFacts(
            balance_fen=balance,
            accrued_fen=int(accrued_fen),
            penalties_paid_fen=int(paid_fen),
            ends=term.end_date(standing, requested),
        )
        for account_id, balance, standing, accrued_fen, paid_fen, requested in await session.execute(query)
    }


async def owed(
    session: AsyncSession,
    account_ids: list[uuid.UUID],
    *,
    now: datetime,
    facts: Mapping[uuid.UUID, AccountFacts | None] | None = None,
) -> dict[uuid.UUID, Owed]:
    """Arrears and penalties of many accounts in two statements, including the days the sweep
    has not materialised yet. ``facts``: the accounts' facts when the caller has read them
    already (the request's DataLoader shares them with the ``balance`` field)."""
    bills = await _open_bills(session, account_ids)
    if facts is None:
        facts = await account_facts(session, account_ids)
    none = AccountFacts(balance_fen=0, accrued_fen=0, penalties_paid_fen=0, ends=None)
    today = local_date(now)
    found = {}
    for account_id in account_ids:
        open_bills = bills.get(account_id, [])
        known = facts.get(account_id) or none
        pending = _pending_accruals(open_bills, known.balance_fen, today, known.ends)
        penalties = known.accrued_fen + sum(row["amount_fen"] for row in pending) - known.penalties_paid_fen
        dues = [b.pay_by for b in open_bills if unpaid_fen(b) > 0 and b.pay_by is not None]
        found[account_id] = Owed(
            principal_fen=sum(unpaid_fen(b) for b in open_bills),
            penalties_fen=penalties,
            oldest_due=min(dues) if dues else None,
        )
    return found


async def accrue(session: AsyncSession, account: Account, *, now: datetime) -> int:
    """Store every accrual due up to today. The caller holds the account's row lock, so the
    state the bases come from cannot change under it; the unique key makes repeats no-ops."""
    bills = (await _open_bills(session, [account.id])).get(account.id, [])
    today = local_date(now)
    ends = (await term.end_dates(session, [account.id])).get(account.id)
    rows = _pending_accruals(bills, account.balance_fen, today, ends)
    for bill in bills:
        if bill.pay_by is not None and (bill.accrued_through is None or bill.accrued_through < today):
            bill.accrued_through = today
    if rows:
        rows = [new_row(now, **row) for row in rows]
        await session.execute(insert_for(session, PenaltyAccrual).on_conflict_do_nothing(), rows)
        await events.record(
            session,
            account_id=account.id,
            type="penalty.accrued",
            at=now,
            data={
                "accruals": len(rows),
                "amount": str(fen_to_yuan(sum(row["amount_fen"] for row in rows))),
                "through": today.isoformat(),
            },
        )
    return len(rows)


async def settle(session: AsyncSession, bill: Bill, *, now: datetime) -> None:
    """BIL-6: the one deduction of a confirmed or accepted bill. The caller holds the bill's row
    lock and has checked it is not settled yet, which is what makes this happen once."""
    account = await locked(session, Account, bill.account_id)
    await accrue(session, account, now=now)
    pay = min(bill.total_fen, max(account.balance_fen, 0))
    if pay > 0:
        await entries.post(
            session,
            account_id=account.id,
            kind=LedgerKind.BILL_DEDUCTION,
            amount_fen=-pay,
            reference=f"bill {bill.period:%Y-%m}",
            now=now,
        )
    # PRE-3: the latest settled month's consumption is the measure: an earlier month's open
    # shortfall ends here, and a month settled after a later one (a long dispute) has none.
    # Only settled bills are touched, which this path reaches under the account lock alone.
    await session.execute(
        update(Bill)
        .where(
            Bill.account_id == account.id,
            Bill.settled_at.is_not(None),
            Bill.period < bill.period,
            Bill.shortfall_closed_at.is_(None),
        )
        .values(shortfall_closed_at=now)
        .execution_options(synchronize_session="fetch")
    )
    newer = await session.execute(
        select(Bill.id).where(Bill.account_id == account.id, Bill.settled_at.is_not(None), Bill.period > bill.period)
    )
    bill.paid_fen, bill.settled_at, bill.state = pay, now, BillState.SETTLED
    balance_after = account.balance_fen - pay
    # Open while the balance is below the month's consumption, even when all of the gap is
    # arrears for now (its base is then 0 until principal is paid and the balance still falls short).
    # PRE-3 ends with the agreement: a bill settled after the end opens no shortfall.
    open_shortfall = (
        newer.first() is None
        and balance_after < bill.total_fen
        and not await term.ended(session, account.id, local_date(now))
    )
    bill.shortfall_closed_at = None if open_shortfall else now
    await events.record(
        session,
        account_id=account.id,
        type="bill.settled",
        at=now,
        data={
            "bill": events.global_id("Bill", bill.id),
            "period": bill.period.isoformat(),
            "total": str(fen_to_yuan(bill.total_fen)),
            "paid": str(fen_to_yuan(pay)),
        },
    )
    if bill.total_fen - pay > 0 or open_shortfall:
        _queue_payment_notice(session, account, bill, open_shortfall, now)
        await events.record(
            session,
            account_id=account.id,
            type="arrears.notice",
            at=now,
            data={
                "bill": events.global_id("Bill", bill.id),
                "unpaid": str(fen_to_yuan(bill.total_fen - pay)),
                "belowMonthlyConsumption": open_shortfall,
            },
        )
    await session.flush()


def _queue_payment_notice(
    session: AsyncSession, account: Account, bill: Bill, open_shortfall: bool, now: datetime
) -> None:
    """One notice names every amount that will bear a penalty after its 5 working days."""
    unpaid = bill.total_fen - bill.paid_fen
    lines = [f"{account.name}:", f"账单 {bill.period:%Y-%m} 已结算 / Bill {bill.period:%Y-%m} settled."]
    if unpaid > 0:
        lines.append(
            f"未付金额 / Unpaid: {fen_to_yuan(unpaid)} CNY, 请于送达后 5 个工作日内付清 / due within 5 working days of "
            "this notice; afterwards 1‰ per day accrues on the unpaid amount (Art. 4.7.1)."
        )
    if open_shortfall:
        lines.append(
            f"余额低于当月消费 {fen_to_yuan(bill.total_fen)} CNY / Your balance is below one month's consumption: "
            "top up within 5 working days of this notice; afterwards 0.1% per day accrues on the shortfall "
            "(consumption − balance) not already in arrears (Art. 4.3.3)."
        )
    row = email_row(
        account_id=account.id,
        email=account.email,
        subject=f"付款通知 / Payment due: bill {bill.period:%Y-%m}",
        body="\n".join(lines),
        purpose=NoticePurpose.PAYMENT_DUE,
        bill_id=bill.id,
        now=now,
    )
    session.add(Notice(**row))


async def collect(session: AsyncSession, account: Account, *, now: datetime) -> None:
    """After a credit: pay principal (oldest bill first), then penalties, from the balance; then
    close shortfalls the balance now covers. The caller holds the account's row lock."""
    balance = await entries.balance_fen(session, account.id)
    bills = (await _open_bills(session, [account.id])).get(account.id, [])
    for bill in bills:
        pay = min(unpaid_fen(bill), max(balance, 0))
        if pay > 0:
            reference = f"arrears of bill {bill.period:%Y-%m}"
            entry = await entries.post(
                session,
                account_id=account.id,
                kind=LedgerKind.BILL_DEDUCTION,
                amount_fen=-pay,
                reference=reference,
                now=now,
            )
            balance = entry.balance_after_fen
            bill.paid_fen += pay
    # before_balance_change stored every accrual through today, so nothing is pending here.
    accrued, paid = await _accrued(session, [account.id]), await _penalties_paid(session, [account.id])
    penalties = accrued.get(account.id, 0) - paid.get(account.id, 0)
    pay = min(penalties, max(balance, 0))
    if pay > 0:
        entry = await entries.post(
            session, account_id=account.id, kind=LedgerKind.PENALTY, amount_fen=-pay, reference="penalties", now=now
        )
        balance = entry.balance_after_fen
    for bill in bills:
        # A shortfall is covered once the bill owes nothing and the balance reaches its total.
        if bill.shortfall_closed_at is None and unpaid_fen(bill) == 0 and shortfall_base_fen(bill, balance) == 0:
            bill.shortfall_closed_at = now
    await session.flush()


async def before_balance_change(session: AsyncSession, account_id: uuid.UUID, *, now: datetime) -> Account:
    """Lock the account and store accruals with the state before money moves."""
    account = await locked(session, Account, account_id)
    await accrue(session, account, now=now)
    return account
