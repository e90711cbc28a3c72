"""PRE-2: online payments credit at once; bank transfers wait for FINANCE to confirm receipt.
The same idempotency key twice credits once; with other parameters it is refused."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, LedgerEntry, LedgerKind, RealNameState, TopUp, TopUpMethod, TopUpState
from services.accounts import validation
from services.batch import locked, rows_by
from services.errors import IdempotencyConflict, InvalidState, NotFound, RealNameRequired
from services.ledger import arrears, entries
from services.money import amount_to_fen


@dataclass(frozen=True, slots=True)
class TopUpResult:
    top_up: TopUp
    entry: LedgerEntry | None


async def _find(session: AsyncSession, account_id: uuid.UUID, key: str) -> TopUp | None:
    return (
        await session.execute(select(TopUp).where(TopUp.account_id == account_id, TopUp.idempotency_key == key))
    ).scalar_one_or_none()


async def _result(session: AsyncSession, top_up: TopUp) -> TopUpResult:
    entry = None if top_up.ledger_entry_id is None else await session.get(LedgerEntry, top_up.ledger_entry_id)
    return TopUpResult(top_up, entry)


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
    fen = amount_to_fen(amount, "amount")
    reference = validation.single_line(reference, "reference")
    key = validation.single_line(idempotency_key, "idempotencyKey", max_length=100)
    if method == TopUpMethod.BANK_TRANSFER and account.real_name_state != RealNameState.VERIFIED:
        raise RealNameRequired("bank transfers need a verified account holder (AUTH-3)")
    existing = await _find(session, account.id, key)
    if existing is None:
        row = TopUp(
            account_id=account.id,
            method=method,
            amount_fen=fen,
            reference=reference,
            idempotency_key=key,
            state=TopUpState.PENDING,
            requested_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
        except IntegrityError:
            # A concurrent request with the same key won the insert: answer as a repeat.
            existing = await _find(session, account.id, key)
            assert existing is not None
        else:
            if method == TopUpMethod.ONLINE:
                await _credit(session, row, now=now)
            return await _result(session, row)
    if not _same(existing, method, fen, reference):
        raise IdempotencyConflict("this idempotency key was used with other parameters", field=["idempotencyKey"])
    return await _result(session, existing)


async def _credit(session: AsyncSession, row: TopUp, *, now: datetime, confirmed_by: str | None = None) -> None:
    account = await arrears.before_balance_change(session, row.account_id, now=now)
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
    await arrears.collect(session, account, now=now)  # PRE-4: what is owed is paid first


async def confirm_bank_transfer(
    session: AsyncSession, *, top_up_id: uuid.UUID, confirmed_by: str, now: datetime
) -> TopUpResult:
    """FINANCE confirms receipt; a second confirmation changes nothing (INVALID_STATE)."""
    row = await locked(session, TopUp, top_up_id)  # two confirmations cannot both credit
    if row is None or row.method != TopUpMethod.BANK_TRANSFER:
        raise NotFound("no such bank transfer", field=["id"])
    if row.state != TopUpState.PENDING:
        raise InvalidState("the transfer is credited already", field=["id"])
    await _credit(session, row, now=now, confirmed_by=confirmed_by)
    return await _result(session, row)


async def pending_of(session: AsyncSession, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[TopUp]]:
    return await rows_by(session, TopUp, TopUp.account_id, account_ids, where=TopUp.state == TopUpState.PENDING)
