"""TRM-1 to TRM-8, ACC-7: the facts a termination ground needs, and terminations taking effect.

- TRM-2: the customer's SERVICE_FAILURE ground needs a recorded outage longer than 5 × 24 h
  (``outages``; one still going on counts until now).
- TRM-7: FORCE_MAJEURE needs a force-majeure event lasting more than one calendar month
  (``force_majeure_events``; one still going on counts until now).
- A termination's effective date is stored on its request; the sweep (``apply_due``, one job of
  ``services.jobs.run_due_jobs``) ends the agreement when the date comes: the account and every
  AppID become TERMINATED, which is what "the agreement has ended" means to the rest of the code
  (``services.ledger.refunds.agreement_ended``, PRE-3, PRE-6). Debts survive it (TRM-8).
"""

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, ForceMajeureEvent, Measure, MeasureKind, Standing, TerminationRequest
from services.batch import for_update
from services.clock import SHANGHAI, add_month, local_date
from services.enforcement import standing


def a_month_after(at: datetime) -> datetime:
    """The same Asia/Shanghai wall-clock time a calendar month later, as aware UTC."""
    local = at.astimezone(SHANGHAI)
    return datetime.combine(add_month(local.date()), local.timetz()).astimezone(UTC)


async def long_force_majeure(session: AsyncSession, *, now: datetime) -> ForceMajeureEvent | None:
    """TRM-7 / FM-1: a force-majeure event lasting more than one calendar month."""
    events = await session.execute(select(ForceMajeureEvent).order_by(ForceMajeureEvent.started_at))
    for event in events.scalars():
        if min(event.ended_at or now, now) > a_month_after(event.started_at):
            return event
    return None


async def end_agreement(session: AsyncSession, account: Account) -> None:
    account.standing = Standing.TERMINATED
    await standing.refresh(session, account)


async def apply_due(session: AsyncSession, *, now: datetime, account_id: uuid.UUID | None = None) -> int:
    """End every agreement whose termination's effective date has come (idempotent)."""
    due = select(TerminationRequest.account_id).where(TerminationRequest.effective_on <= local_date(now))
    query = for_update(
        select(Account).where(Account.id.in_(due), Account.standing != Standing.TERMINATED).order_by(Account.id),
        skip_locked=True,
    )
    if account_id is not None:
        query = query.where(Account.id == account_id)
    changed = 0
    for account in (await session.execute(query)).scalars().all():
        await end_agreement(session, account)
        changed += 1
    return changed


async def agreement_end(session: AsyncSession, account_id: uuid.UUID) -> date | None:
    """The day the agreement ends or ended (PRE-3's duty stops then): the effective date of the
    customer's termination request, or the day a TERMINATE measure took effect, whichever is
    first; None while no termination is on file."""
    requested = await session.scalar(
        select(TerminationRequest.effective_on).where(TerminationRequest.account_id == account_id)
    )
    measured = await session.scalar(
        select(Measure.effective_at).where(Measure.account_id == account_id, Measure.kind == MeasureKind.TERMINATE)
    )
    days = [d for d in (requested, None if measured is None else local_date(measured)) if d is not None]
    return min(days) if days else None
