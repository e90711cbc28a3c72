"""PRE-1: the only way the balance moves. One UPDATE … RETURNING adds the amount to the
account's balance (the row lock serialises concurrent postings until commit), and the entry
records the balance after it, in the same transaction."""

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, LedgerEntry, LedgerKind
from services.pagination import Page, keyset_page


async def post(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    kind: LedgerKind,
    amount_fen: int,
    reference: str | None,
    now: datetime,
) -> LedgerEntry:
    balance = (
        await session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(balance_fen=Account.balance_fen + amount_fen)
            .returning(Account.balance_fen)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one()
    entry = LedgerEntry(
        account_id=account_id, kind=kind, amount_fen=amount_fen, balance_after_fen=balance, reference=reference, at=now
    )
    session.add(entry)
    await session.flush()
    return entry


async def balance_fen(session: AsyncSession, account_id: uuid.UUID) -> int:
    return int(await session.scalar(select(Account.balance_fen).where(Account.id == account_id)) or 0)


async def sum_of_entries_fen(session: AsyncSession, account_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(LedgerEntry.account_id == account_id)
    )
    return int(total or 0)


async def page_entries(
    session: AsyncSession, *, account_id: uuid.UUID, first: int, after: uuid.UUID | None
) -> Page[LedgerEntry]:
    query = select(LedgerEntry).where(LedgerEntry.account_id == account_id)
    return await keyset_page(session, query, LedgerEntry.id, first=first, after=after)
