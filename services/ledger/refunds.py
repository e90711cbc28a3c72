"""PRE-6 / TRM-8: after the agreement ends, what remains of the prepayment can be refunded on
request; FINANCE pays it from a non-negative, unforfeited balance, as a ledger entry."""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, LedgerEntry, LedgerKind, Refund, RefundState, Standing, TerminationRequest
from services.accounts import validation
from services.batch import locked
from services.clock import local_date
from services.errors import IdempotencyConflict, InvalidInput, InvalidState, NotFound
from services.invoices.reversals import refund_blocker
from services.ledger import arrears, entries, repository
from services.money import amount_to_fen


async def agreement_ended(session: AsyncSession, account: Account, now: datetime) -> bool:
    if account.standing == Standing.TERMINATED:
        return True
    effective = await session.scalar(
        select(TerminationRequest.effective_on).where(TerminationRequest.account_id == account.id)
    )
    return effective is not None and effective <= local_date(now)


async def _forfeited(session: AsyncSession, account_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(LedgerEntry.id).where(LedgerEntry.account_id == account_id, LedgerEntry.kind == LedgerKind.FORFEITURE)
    )
    return found.first() is not None


async def _refundable_fen(session: AsyncSession, account_id: uuid.UUID) -> int:
    """The balance less refunds already asked for and not yet paid."""
    pending = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
            Refund.account_id == account_id, Refund.state == RefundState.PENDING
        )
    )
    return await entries.balance_fen(session, account_id) - int(pending or 0)


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
    if fen > await _refundable_fen(session, account.id):
        raise InvalidInput("the amount exceeds the refundable balance", field=["amount"])
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
        or await entries.balance_fen(session, refund.account_id) < refund.amount_fen
    ):
        raise InvalidState("the balance no longer covers this refund", field=["id"])
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
