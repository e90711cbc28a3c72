"""PRE-1: the only way the balance moves. One UPDATE … RETURNING adds the amount to the
account's balance (the row lock serialises concurrent postings until commit), and the entry
records the balance after it, in the same transaction."""

import uuid
from datetime import datetime

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, LedgerEntry, LedgerKind
from models.base import new_id
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
    if session.bind.dialect.name == "postgresql":
        return await _post_in_one_statement(
            session, account_id=account_id, kind=kind, amount_fen=amount_fen, reference=reference, now=now
        )
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


async def _post_in_one_statement(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    kind: LedgerKind,
    amount_fen: int,
    reference: str | None,
    now: datetime,
) -> LedgerEntry:
    """PostgreSQL: the balance update and the entry in one round trip (a data-modifying CTE);
    the hot-account benchmark (bench/ledger.py) is what this is for. SQLite has no such CTE."""
    columns = LedgerEntry.__table__.c
    entry = LedgerEntry(
        id=new_id(),
        account_id=account_id,
        kind=kind,
        amount_fen=amount_fen,
        balance_after_fen=0,
        reference=reference,
        at=now,
        created_at=now,
        updated_at=now,
    )
    moved = (
        update(Account)
        .where(Account.id == account_id)
        .values(balance_fen=Account.balance_fen + amount_fen)
        .returning(Account.balance_fen)
        .cte("moved")
    )
    values = {
        name: literal(getattr(entry, name), type_=columns[name].type)
        for name in ("id", "created_at", "updated_at", "account_id", "kind", "amount_fen", "reference", "at")
    }
    statement = (
        insert(LedgerEntry)
        .from_select([*values, "balance_after_fen"], select(*values.values(), moved.c.balance_fen))
        .returning(LedgerEntry.balance_after_fen)
    )
    entry.balance_after_fen = (await session.execute(statement)).scalar_one()
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
