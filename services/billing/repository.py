"""The SQL of bills and their disputes (BIL-5 to BIL-7). Reads of a customer's bill take the
reader's scope (``account_id``; None is staff's, every account) inside the query, and a bill
not yet delivered does not exist for anyone reading it (NTC-1).

The monthly run's set-based INSERTs stay in ``run.py``: they write many accounts at once.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Bill, BillDispute, BillDisputeState, BillLine, BillState
from services.batch import for_update, rows_by
from services.pagination import Page, keyset_page, keyset_pages
from services.scoped import one_in_scope

SETTLEABLE = (BillState.CONFIRMED, BillState.DEEMED_ACCEPTED)
_DELIVERED = Bill.delivered_at.is_not(None)


async def bill_in_scope(session: AsyncSession, bill_id: uuid.UUID, *, account_id: uuid.UUID | None) -> Bill | None:
    """A delivered bill of the account."""
    return await one_in_scope(session, Bill, bill_id, account_id=account_id, where=[_DELIVERED])


async def locked_bill_in_scope(
    session: AsyncSession, bill_id: uuid.UUID, *, account_id: uuid.UUID | None
) -> Bill | None:
    """``bill_in_scope`` under the bill's row lock, re-read even when the session holds a copy
    (every transition of a bill starts here: services/ledger's lock order)."""
    return await one_in_scope(session, Bill, bill_id, account_id=account_id, where=[_DELIVERED], lock=True)


async def dispute_in_scope(
    session: AsyncSession, dispute_id: uuid.UUID, *, account_id: uuid.UUID | None
) -> tuple[BillDispute, uuid.UUID] | None:
    """A dispute of a delivered bill of the account, with that account's key (a dispute is the
    bill's: the scope is the bill's account)."""
    query = (
        select(BillDispute, Bill.account_id)
        .join(Bill, Bill.id == BillDispute.bill_id)
        .where(BillDispute.id == dispute_id, _DELIVERED)
    )
    if account_id is not None:
        query = query.where(Bill.account_id == account_id)
    found = (await session.execute(query)).one_or_none()
    return None if found is None else (found[0], found[1])


async def page_for_account(
    session: AsyncSession, *, account_id: uuid.UUID, first: int, after: uuid.UUID | None
) -> Page[Bill]:
    """The account's delivered bills, oldest first."""
    query = select(Bill).where(Bill.account_id == account_id, _DELIVERED)
    return await keyset_page(session, query, Bill.id, first=first, after=after)


async def pages_for_accounts(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], *, first: int
) -> dict[uuid.UUID, Page[Bill]]:
    """The first page of delivered bills of each account, in one query."""
    return await keyset_pages(session, Bill, Bill.account_id, account_ids, first=first, where=_DELIVERED)


async def open_dispute(session: AsyncSession, bill_id: uuid.UUID) -> BillDispute | None:
    """The open dispute of a bill the caller has already read in its scope."""
    query = select(BillDispute).where(BillDispute.bill_id == bill_id, BillDispute.state == BillDisputeState.OPEN)
    return (await session.execute(query)).scalar_one_or_none()


async def lines_of(session: AsyncSession, bill_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Row]]:
    """The lines of bills the caller has already read in its scope (a DataLoader's batch), as
    plain rows with the model's column names: a console's first screen shows over a hundred,
    only to read them, and an ORM object per line cost more than the query (issue 15)."""
    lines = BillLine.__table__.c
    found: dict[uuid.UUID, list[Row]] = {bill_id: [] for bill_id in bill_ids}
    query = select(BillLine.__table__).where(lines.bill_id.in_(bill_ids)).order_by(lines.id)
    for row in await session.execute(query):
        found[row.bill_id].append(row)
    return found


async def disputes_of(session: AsyncSession, bill_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, BillDispute | None]:
    """The latest dispute of each bill (open, or how the last one ended), for bills the caller
    has already read in its scope."""
    found = await rows_by(session, BillDispute, BillDispute.bill_id, bill_ids)
    return {bill_id: (rows[-1] if rows else None) for bill_id, rows in found.items()}


async def due_for_settlement(session: AsyncSession, *, closed_before: datetime, limit: int) -> list[Bill]:
    """The sweep's work, across every account (it acts for no customer): bills accepted, or
    issued with their window closed before ``closed_before``, under lock. SKIP LOCKED lets
    several processes share the work without waiting on (or repeating) each other's bills."""
    window_closed = (
        (Bill.state == BillState.ISSUED) & Bill.dispute_deadline.is_not(None) & (Bill.dispute_deadline < closed_before)
    )
    # In account order: settling one waits for its account's lock while holding the accounts
    # settled before it, so two sweeps at once must take accounts in one order (no cycle).
    query = (
        select(Bill).where(Bill.state.in_(SETTLEABLE) | window_closed).order_by(Bill.account_id, Bill.id).limit(limit)
    )
    query = for_update(query, skip_locked=True)  # NO KEY UPDATE (services/ledger lock order)
    return list((await session.execute(query)).scalars().all())
