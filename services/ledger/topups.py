"""PRE-2: money is credited only once it has been received. A top-up request is PENDING: an
ONLINE one until the payment gateway (or FINANCE) confirms the provider's transaction
(``online.py``), at most for ``ONLINE_EXPIRY``; a BANK_TRANSFER until FINANCE confirms receipt.
The same idempotency key twice answers the same top-up; with other parameters it is refused."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, LedgerEntry, LedgerKind, RealNameState, TopUp, TopUpMethod, TopUpState
from services import events
from services.accounts import validation
from services.batch import locked
from services.errors import IdempotencyConflict, InvalidState, NotFound, RealNameRequired
from services.ledger import arrears, entries, repository
from services.money import amount_to_fen, fen_to_yuan

# An online payment not confirmed within this time (business clock) is abandoned.
ONLINE_EXPIRY = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class TopUpResult:
    top_up: TopUp
    entry: LedgerEntry | None
    # Still waiting for its money: not credited, and (ONLINE) not expired.
    pending: bool


def expired(row: TopUp, now: datetime) -> bool:
    """PRE-2: an online top-up unpaid at its deadline can no longer be confirmed."""
    return row.state == TopUpState.PENDING and row.expires_at is not None and now >= row.expires_at


def awaiting(rows: list[TopUp], now: datetime) -> list[TopUp]:
    """The pending top-ups that can still be confirmed (expiry is read against ``now``, so it
    needs no sweep and every process agrees)."""
    return [row for row in rows if row.state == TopUpState.PENDING and not expired(row, now)]


async def result(session: AsyncSession, top_up: TopUp, now: datetime) -> TopUpResult:
    entry = None if top_up.ledger_entry_id is None else await session.get(LedgerEntry, top_up.ledger_entry_id)
    return TopUpResult(top_up, entry, pending=bool(awaiting([top_up], now)))


def _same(top_up: TopUp, method: TopUpMethod, amount_fen: int, reference: str) -> bool:
    return (top_up.method, top_up.amount_fen, top_up.reference) == (method, amount_fen, reference)


async def top_up(
    session: AsyncSession,
    *,
    account: Account,
    amount: Decimal,
    method: TopUpMethod,
    reference: str,
    idempotency_key: str,
    now: datetime,
) -> TopUpResult:
    """A pending top-up; nothing is credited until the money is confirmed (PRE-2)."""
    fen = amount_to_fen(amount, "amount")
    reference = validation.single_line(reference, "reference")
    key = validation.single_line(idempotency_key, "idempotencyKey", max_length=100)
    if method == TopUpMethod.BANK_TRANSFER and account.real_name_state != RealNameState.VERIFIED:
        raise RealNameRequired("bank transfers need a verified account holder (AUTH-3)")
    existing = await repository.top_up_by_key(session, account_id=account.id, key=key)
    if existing is None:
        # The lock order (services/ledger/__init__.py): the account before a row that refers to
        # it. It also serialises requests with one key: the second finds the first's row.
        await locked(session, Account, account.id)
        existing = await repository.top_up_by_key(session, account_id=account.id, key=key)
    if existing is None:
        row = TopUp(
            account_id=account.id,
            method=method,
            amount_fen=fen,
            reference=reference,
            idempotency_key=key,
            state=TopUpState.PENDING,
            requested_at=now,
            expires_at=now + ONLINE_EXPIRY if method == TopUpMethod.ONLINE else None,
        )
        session.add(row)
        await session.flush()
        await events.record(
            session,
            account_id=account.id,
            type="topup.pending",
            at=now,
            data={
                "topUp": events.global_id("TopUp", row.id),
                "method": str(method),
                "amount": str(fen_to_yuan(fen)),
                "reference": reference,
                "expiresAt": events.iso(row.expires_at),
            },
        )
        return await result(session, row, now)
    if not _same(existing, method, fen, reference):
        raise IdempotencyConflict("this idempotency key was used with other parameters", field=["idempotencyKey"])
    return await result(session, existing, now)


async def locked_top_up(session: AsyncSession, top_up_id: uuid.UUID) -> tuple[Account, TopUp] | None:
    """The top-up and its account, both locked in the ledger's order: the account, then the
    top-up (so two confirmations of one top-up cannot both credit it)."""
    account_id = await session.scalar(select(TopUp.account_id).where(TopUp.id == top_up_id))
    if account_id is None:
        return None
    account = await locked(session, Account, account_id)
    return account, await locked(session, TopUp, top_up_id)


async def credit(
    session: AsyncSession, account: Account, row: TopUp, *, now: datetime, confirmed_by: str
) -> TopUpResult:
    """The money arrived: one TOP_UP entry, then whatever is owed is paid from it (PRE-4). The
    caller holds the account's and the top-up's locks (``locked_top_up``)."""
    await arrears.accrue(session, account, now=now)  # penalties so far, on the balance before
    entry = await entries.post(
        session,
        account_id=row.account_id,
        kind=LedgerKind.TOP_UP,
        amount_fen=row.amount_fen,
        reference=f"top-up {row.method.lower()} {row.reference}",
        now=now,
    )
    row.state, row.ledger_entry_id, row.confirmed_by = TopUpState.CREDITED, entry.id, confirmed_by
    await session.flush()
    await events.record(
        session,
        account_id=row.account_id,
        type="topup.credited",
        at=now,
        data={
            "topUp": events.global_id("TopUp", row.id),
            "method": str(row.method),
            "amount": str(fen_to_yuan(row.amount_fen)),
            "ledgerEntry": events.global_id("LedgerEntry", entry.id),
        },
    )
    await arrears.collect(session, account, now=now)  # PRE-4: what is owed is paid first
    return TopUpResult(row, entry, pending=False)


async def confirm_bank_transfer(
    session: AsyncSession, *, top_up_id: uuid.UUID, confirmed_by: str, now: datetime
) -> TopUpResult:
    """FINANCE confirms receipt; a second confirmation changes nothing (INVALID_STATE)."""
    found = await locked_top_up(session, top_up_id)
    if found is None or found[1].method != TopUpMethod.BANK_TRANSFER:
        raise NotFound("no such bank transfer", field=["id"])
    account, row = found
    if row.state != TopUpState.PENDING:
        raise InvalidState("the transfer is credited already", field=["id"])
    return await credit(session, account, row, now=now, confirmed_by=confirmed_by)
