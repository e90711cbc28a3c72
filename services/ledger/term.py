"""PRE-3 / PRE-6 / TRM-8: when an account's agreement ends.

The agreement ends on its termination request's effective date (TRM-1, TRM-3, ACC-7: the
first day without the agreement). An account whose standing is ``TERMINATED`` with no request
(a vendor's TERMINATE measure) has ended already: it counts as ended before any day not yet
stored (no further PRE-3 accrual), never reaching back into stored days.
"""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, Standing, TerminationRequest


def requested_end(account_id: Any) -> Any:
    """The effective date of the account's termination request, as a scalar subquery
    (ACC-7 allows one request per account), correlated with ``account_id``."""
    return (
        select(func.max(TerminationRequest.effective_on))
        .where(TerminationRequest.account_id == account_id)
        .scalar_subquery()
    )


def end_date(standing: str, requested: date | None) -> date | None:
    """The first day without the agreement, from the account's standing and its request's date."""
    if requested is not None:
        return requested  # its request's date where one was filed: PRE-3 days before it stay owed
    return date.min if standing == Standing.TERMINATED else None


async def end_dates(session: AsyncSession, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, date]:
    """{account: the first day without the agreement} for the accounts whose agreement ends."""
    query = select(Account.id, Account.standing, requested_end(Account.id)).where(Account.id.in_(account_ids))
    found = {}
    for account_id, standing, requested in await session.execute(query):
        end = end_date(standing, requested)
        if end is not None:
            found[account_id] = end
    return found


async def ended(session: AsyncSession, account_id: uuid.UUID, today: date) -> bool:
    end = (await end_dates(session, [account_id])).get(account_id)
    return end is not None and end <= today
