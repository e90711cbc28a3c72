"""PRE-6 / TRM-8: after the agreement ends, what remains of the prepayment can be refunded on
request; FINANCE pays it from a non-negative, unforfeited balance, as a ledger entry.

The remainder is what is left once everything still owed is offset (4.7.3): the balance less
refunds already asked for, less every bill's unpaid amount (an issued bill not settled yet owes
its whole total), less accrued unpaid penalties (to today, also the days no sweep stored yet).

The last month's bill (decided here): a refund waits until it has been issued. While any of
the account's consumption is on no bill yet (metered usage of the last month or reported late,
BIL-1; storage held in a month no bill run has billed, BIL-8), asking, and paying, are refused
with ``INVALID_STATE`` saying so; once issued, its total is one of the unpaid bills above. An
account that consumed nothing since its last bill has no last bill to wait for. Paying re-checks all of it under the
account's lock (services/ledger/__init__.py lock order: the account, then the refund), so a
penalty or a bill that arrived after the request is offset before any money leaves.
"""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, Bill, BillRun, LedgerEntry, LedgerKind, Product, Refund, RefundState, UsageRecord
from services.accounts import validation
from services.batch import locked
from services.billing.pricing import month_bounds
from services.clock import local_date
from services.errors import IdempotencyConflict, InvalidInput, InvalidState, NotFound
from services.invoices.reversals import refund_blocker
from services.ledger import arrears, entries, repository, term
from services.money import amount_to_fen


async def agreement_ended(session: AsyncSession, account: Account, now: datetime) -> bool:
    return await term.ended(session, account.id, local_date(now))


async def _forfeited(session: AsyncSession, account_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(LedgerEntry.id).where(LedgerEntry.account_id == account_id, LedgerEntry.kind == LedgerKind.FORFEITURE)
    )
    return found.first() is not None


async def _pending_refunds_fen(session: AsyncSession, account_id: uuid.UUID, *, besides: uuid.UUID | None) -> int:
    query = select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
        Refund.account_id == account_id, Refund.state == RefundState.PENDING
    )
    if besides is not None:
        query = query.where(Refund.id != besides)
    return int(await session.scalar(query) or 0)


async def _unpaid_bills_fen(session: AsyncSession, account_id: uuid.UUID) -> int:
    owing = await session.scalar(
        select(func.coalesce(func.sum(Bill.total_fen - Bill.paid_fen), 0)).where(
            Bill.account_id == account_id, Bill.paid_fen < Bill.total_fen
        )
    )
    return int(owing or 0)


async def remainder_fen(
    session: AsyncSession, account_id: uuid.UUID, *, now: datetime, besides: uuid.UUID | None = None
) -> int:
    """PRE-6: what may still be refunded (see the module docstring); ``besides``: a pending
    refund not to count against it (the one being paid)."""
    penalties = (await arrears.owed(session, [account_id], now=now))[account_id].penalties_fen
    return (
        await entries.balance_fen(session, account_id)
        - await _pending_refunds_fen(session, account_id, besides=besides)
        - await _unpaid_bills_fen(session, account_id)
        - max(penalties, 0)
    )


async def last_bill_pending(session: AsyncSession, account_id: uuid.UUID) -> bool:
    """True while consumption waits for a bill: metered usage on no bill yet (the last month's,
    or late usage, BIL-1), or storage held in a month no bill run has billed yet (BIL-8)."""
    continuing = select(Product.code).where(Product.continuing)
    unbilled = await session.execute(
        select(UsageRecord.id)
        .where(
            UsageRecord.account_id == account_id,
            UsageRecord.bill_run_id.is_(None),
            UsageRecord.product_code.not_in(continuing),
        )
        .limit(1)
    )
    if unbilled.first() is not None:
        return True
    last_run = await session.scalar(select(func.max(BillRun.period)).where(BillRun.finished_at.is_not(None)))
    open_from = month_bounds((last_run.replace(day=28) + timedelta(days=4)).replace(day=1))[0] if last_run else None
    levels = await session.execute(
        select(UsageRecord.app_id, UsageRecord.occurred_at, UsageRecord.quantity_micros)
        .where(UsageRecord.account_id == account_id, UsageRecord.product_code.in_(continuing))
        .order_by(UsageRecord.occurred_at, UsageRecord.id)
    )
    held: dict[uuid.UUID, int] = {}  # each AppID's level at ``open_from``
    for app_id, occurred_at, level in levels:
        if open_from is None or occurred_at >= open_from:
            if level > 0:
                return True
        else:
            held[app_id] = level
    return any(level > 0 for level in held.values())


async def request_refund(
    session: AsyncSession, *, account: Account, amount: Decimal, reason: str, idempotency_key: str, now: datetime
) -> Refund:
    fen = amount_to_fen(amount, "amount")
    reason = validation.text(reason, "reason", max_length=2000)
    key = validation.single_line(idempotency_key, "idempotencyKey", max_length=100)
    existing = await repository.refund_by_key(session, account_id=account.id, key=key)
    if existing is None:
        # The ledger's lock order: the account before a row that refers to it; the
        # refundable balance then cannot move under the check below.
        await locked(session, Account, account.id)
        existing = await repository.refund_by_key(session, account_id=account.id, key=key)
    if existing is not None:
        if (existing.amount_fen, existing.reason) != (fen, reason):
            raise IdempotencyConflict("this idempotency key was used with other parameters", field=["idempotencyKey"])
        return existing
    if not await agreement_ended(session, account, now):
        raise InvalidState("the remainder is refunded after the agreement has ended (PRE-6)")
    if await _forfeited(session, account.id):
        raise InvalidState("the prepayment was forfeited as liquidated damages")
    if (blocked := await refund_blocker(session, account.id, now=now)) is not None:
        raise blocked  # INV-5: an invoice beyond the actual consumption is reversed first
    if await last_bill_pending(session, account.id):
        raise InvalidState("the refund waits until the agreement's last bill has been issued (PRE-6)")
    if fen > await remainder_fen(session, account.id, now=now):
        raise InvalidInput(
            "the amount exceeds the remainder after unpaid bills and penalties (PRE-6)", field=["amount"]
        )
    refund = Refund(account_id=account.id, amount_fen=fen, reason=reason, idempotency_key=key, requested_at=now)
    try:
        async with session.begin_nested():
            session.add(refund)
            await session.flush()
    except IntegrityError:
        raise IdempotencyConflict("a concurrent request used this idempotency key", field=["idempotencyKey"]) from None
    return refund


async def pay_refund(session: AsyncSession, *, refund_id: uuid.UUID, paid_by: str, now: datetime) -> LedgerEntry:
    """FINANCE pays once, and only from a balance that still covers it."""
    account_id = await session.scalar(select(Refund.account_id).where(Refund.id == refund_id))
    if account_id is None:
        raise NotFound("no such refund", field=["id"])
    # The ledger's lock order: the account (no posting races the check below; penalties so far
    # are stored with the balance before it moves), then the refund (paid once).
    await arrears.before_balance_change(session, account_id, now=now)
    refund = await locked(session, Refund, refund_id)
    if refund.state != RefundState.PENDING:
        raise InvalidState("the refund is paid already", field=["id"])
    if (
        await _forfeited(session, refund.account_id)
        or await last_bill_pending(session, refund.account_id)
        or await remainder_fen(session, refund.account_id, now=now, besides=refund.id) < refund.amount_fen
    ):
        raise InvalidState("the remainder after what is owed no longer covers this refund (PRE-6)", field=["id"])
    if (blocked := await refund_blocker(session, refund.account_id, now=now)) is not None:
        raise blocked  # INV-5: no refund is paid before the reversal is complete
    entry = await entries.post(
        session,
        account_id=refund.account_id,
        kind=LedgerKind.REFUND,
        amount_fen=-refund.amount_fen,
        reference=f"refund {refund.id}",
        now=now,
    )
    refund.state, refund.paid_at, refund.paid_by, refund.ledger_entry_id = RefundState.PAID, now, paid_by, entry.id
    await session.flush()
    return entry
