"""ENF-6: one account's enforcement status in a constant number of queries: the standing of the
account and of each AppID, the measures in force (with reason and basis), the open cases, and
PRE-5's eligibility flags. The next deadlines come from ``services.enforcement.deadlines``."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, App, EnforcementCase, Measure, Standing
from services.enforcement import standing
from services.errors import NotFound
from services.ledger import arrears


@dataclass(frozen=True, slots=True)
class Status:
    account: Account
    standing: Standing
    apps: list[App]
    measures: list[Measure]
    open_cases: list[EnforcementCase]
    # PRE-5 / TRM-6: more than 15 days overdue.
    termination_eligible: bool
    data_deletion_eligible: bool


async def status(session: AsyncSession, *, account_id: uuid.UUID, now: datetime) -> Status:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound("no such account", field=["accountId"])
    apps = list((await session.execute(select(App).where(App.account_id == account_id).order_by(App.id))).scalars())
    in_force = (await standing.in_force(session, [account_id]))[account_id]
    open_cases = list(
        (
            await session.execute(
                select(EnforcementCase)
                .where(EnforcementCase.account_id == account_id, EnforcementCase.closed_at.is_(None))
                .order_by(EnforcementCase.id)
            )
        ).scalars()
    )
    overdue = (await arrears.owed(session, [account_id], now=now))[account_id].eligible_for_termination(now)
    terminated = account.standing == Standing.TERMINATED
    return Status(
        account=account,
        standing=Standing(account.standing),
        apps=apps,
        measures=in_force,
        open_cases=open_cases,
        termination_eligible=overdue and not terminated,
        data_deletion_eligible=overdue,
    )
