"""PRE-3 / PRE-6 / TRM-8: when an account's agreement ends.

The agreement ends on its termination request's effective date (TRM-1, TRM-3, ACC-7: the
first day without the agreement). An account whose standing is ``TERMINATED`` with no request
(a vendor's TERMINATE measure) has ended already: it counts as ended before any day not yet
stored (no further PRE-3 accrual), never reaching back into stored days.
"""

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, Standing, TerminationRequest


async def end_dates(session: AsyncSession, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, date]:
    """{account: the first day without the agreement} for the accounts whose agreement ends."""
    requests = select(TerminationRequest.account_id, TerminationRequest.effective_on).where(
        TerminationRequest.account_id.in_(account_ids)
    )
    found: dict[uuid.UUID, date] = {account_id: day for account_id, day in await session.execute(requests)}
    terminated = select(Account.id).where(Account.id.in_(account_ids), Account.standing == Standing.TERMINATED)
    for account_id in (await session.execute(terminated)).scalars():
        # Its request's date where one was filed: PRE-3 days before it stay owed.
        found.setdefault(account_id, date.min)
    return found


async def ended(session: AsyncSession, account_id: uuid.UUID, today: date) -> bool:
    end = (await end_dates(session, [account_id])).get(account_id)
    return end is not None and end <= today
