"""The reads of the ledger's rows: entries, top-ups and refunds. Each read of a customer's row
takes the reader's scope (``account_id``; None is staff's, every account) inside the query.

What moves money stays beside its rule, in one statement each: the balance's
``UPDATE … RETURNING`` in ``entries.py``, penalty accruals in ``arrears.py``.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import LedgerEntry, Refund, TopUp, TopUpState
from services.batch import rows_by
from services.pagination import Page, keyset_page, keyset_pages
from services.scoped import one_in_scope


async def entry_in_scope(session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None) -> LedgerEntry | None:
    """One entry of the account's ledger."""
    return await one_in_scope(session, LedgerEntry, key, account_id=account_id)


async def page_entries(
    session: AsyncSession, *, account_id: uuid.UUID, first: int, after: uuid.UUID | None
) -> Page[LedgerEntry]:
    """The account's ledger, oldest first."""
    query = select(LedgerEntry).where(LedgerEntry.account_id == account_id)
    return await keyset_page(session, query, LedgerEntry.id, first=first, after=after)


async def pages_of_entries(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], *, first: int
) -> dict[uuid.UUID, Page[LedgerEntry]]:
    """The first page of ledger entries of each account, in one query."""
    return await keyset_pages(session, LedgerEntry, LedgerEntry.account_id, account_ids, first=first)


async def top_up_in_scope(session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None) -> TopUp | None:
    """One top-up of the account, pending or credited."""
    return await one_in_scope(session, TopUp, key, account_id=account_id)


async def top_up_by_key(session: AsyncSession, *, account_id: uuid.UUID, key: str) -> TopUp | None:
    """The account's top-up requested with this idempotency key."""
    query = select(TopUp).where(TopUp.account_id == account_id, TopUp.idempotency_key == key)
    return (await session.execute(query)).scalar_one_or_none()


async def pending_of(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[TopUp]]:
    """Pending top-ups by account, expired ones included (``topups.awaiting`` drops those)."""
    return await rows_by(session, TopUp, TopUp.account_id, account_ids, where=TopUp.state == TopUpState.PENDING)


async def refund_by_key(session: AsyncSession, *, account_id: uuid.UUID, key: str) -> Refund | None:
    """The account's refund requested with this idempotency key."""
    query = select(Refund).where(Refund.account_id == account_id, Refund.idempotency_key == key)
    return (await session.execute(query)).scalar_one_or_none()
