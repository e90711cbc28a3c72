"""PRE-1: the only way the balance moves. One UPDATE … RETURNING adds the amount to the
account's balance (the row lock serialises concurrent postings until commit), and the entry
records the balance after it, in the same transaction."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, String, Uuid, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import instrumentation

from models import Account, LedgerEntry, LedgerKind
from models.base import UTCDateTime, new_id


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


# PostgreSQL: the balance update and the entry in one round trip (a data-modifying CTE). A
# fixed text statement, because on the hot-account path (bench/ledger.py) building and
# compiling an expression per posting cost more than the database work itself.
_POST_ONE_STATEMENT = text(
    """
    WITH moved AS (
        UPDATE accounts SET balance_fen = balance_fen + :amount WHERE id = :account RETURNING balance_fen
    )
    INSERT INTO ledger_entries
        (id, created_at, updated_at, account_id, kind, amount_fen, reference, at, balance_after_fen)
    SELECT :id, :now, :now, :account, :kind, :amount, :reference, :now, balance_fen FROM moved
    RETURNING balance_after_fen
    """
).bindparams(
    bindparam("id", type_=Uuid()),
    bindparam("account", type_=Uuid()),
    bindparam("now", type_=UTCDateTime()),
    bindparam("amount", type_=BigInteger()),
    bindparam("kind", type_=String()),
    bindparam("reference", type_=String()),
)


async def _post_in_one_statement(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    kind: LedgerKind,
    amount_fen: int,
    reference: str | None,
    now: datetime,
) -> LedgerEntry:
    entry_id = new_id()
    balance = (
        await session.execute(
            _POST_ONE_STATEMENT,
            {
                "id": entry_id,
                "account": account_id,
                "now": now,
                "amount": amount_fen,
                "kind": kind,
                "reference": reference,
            },
        )
    ).scalar_one()
    return _as_loaded(
        id=entry_id,
        account_id=account_id,
        kind=kind,
        amount_fen=amount_fen,
        balance_after_fen=balance,
        reference=reference,
        at=now,
        created_at=now,
        updated_at=now,
    )


_ENTRIES = instrumentation.manager_of_class(LedgerEntry)


def _as_loaded(**row: object) -> LedgerEntry:
    """The entry the statement wrote, built as SQLAlchemy builds a row it loads: the model's
    validating constructor cost more than a tenth of a posting's client CPU (bench/ledger.py),
    and the values are the ones the database just accepted. Like the constructed entry before,
    it belongs to no session (it is never added: the row exists already)."""
    entry = _ENTRIES.new_instance()
    entry.__dict__.update(row)
    return entry


async def balance_fen(session: AsyncSession, account_id: uuid.UUID) -> int:
    return int(await session.scalar(select(Account.balance_fen).where(Account.id == account_id)) or 0)


async def sum_of_entries_fen(session: AsyncSession, account_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(LedgerEntry.account_id == account_id)
    )
    return int(total or 0)
