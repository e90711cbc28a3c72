"""The deadline sweep (`runDueJobs`, `accord jobs run`, and every minute inside `accord serve`).

Each job is idempotent and works from what the database says is due, not from when it last
ran, so a sweep after downtime catches up (ten missed days of penalties accrue ten days, once),
and several processes can sweep at once on PostgreSQL: rows are claimed with SKIP LOCKED and
every insert that must happen once has a unique key behind it.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, Bill, PrincipalKind
from services import audit, incidents, notices
from services.accounts.personal_data import development_key
from services.billing import bills, run
from services.calendar import calendar as load_calendar
from services.clock import Clock, local_date
from services.enforcement import termination
from services.errors import CalendarUnknown
from services.ledger import arrears
from services.mail import Mailer
from services.webhooks import delivery as webhooks
from services.webhooks.network import Sender

log = logging.getLogger("accord.jobs")
SWEEPER = audit.Actor(kind=PrincipalKind.SYSTEM, principal="system:sweep")
ACCOUNT_BATCH = 500


@dataclass(frozen=True, slots=True)
class JobResult:
    job: str
    changed: int


async def run_due_jobs(
    session: AsyncSession,
    *,
    mailer: Mailer,
    clock: Clock,
    checkpoint: Callable[[], Awaitable[None]] | None = None,
    sender: Sender | None = None,
    data_key: bytes | None = None,
) -> list[JobResult]:
    """``checkpoint`` runs after each job and each delivered email or webhook: `accord jobs run`
    and the in-process loop commit there; `runDueJobs` is one request, one transaction.
    ``sender`` is how webhooks go out (production's SSRF rules unless told otherwise);
    ``data_key`` decrypts endpoint secrets (None: the development key of this database)."""

    async def done(job: str, changed: int) -> None:
        results.append(JobResult(job, changed))
        if checkpoint is not None:
            await checkpoint()

    results: list[JobResult] = []
    now = clock.now()
    working = await load_calendar(session)
    await done("issue_monthly_bills", await _issue_monthly_bills(session, working, now, checkpoint))
    # FM-1: an ongoing force-majeure event keeps pausing running deadlines (issue 12).
    await done("recount_paused_deadlines", await incidents.recount_while_ongoing(session, now=now))
    deliver = partial(notices.deliver_queued, mailer=mailer, calendar=working, clock=clock, checkpoint=checkpoint)
    # Payment notices wait until after settlement: delivering one writes its settled bill's
    # pay_by, and settlement then waits for account locks. A credit holds its account and
    # writes that account's settled bills (the ledger's lock order), so a sweep holding a
    # settled bill while waiting for an account deadlocks with it where the sweep is one
    # transaction (runDueJobs; found by tests/ledger/test_mixed_clients.py).
    await done("deliver_notices", (await deliver(session, payment_notices=False)).delivered)
    swept = await bills.deem_and_settle(session, now=now)
    await done("deem_bills_accepted", swept.deemed)
    await done("settle_bills", swept.settled)
    # Settlement queues payment notices: deliver them (and those queued before) in this sweep;
    # nothing after this waits for a lock (the jobs below SKIP LOCKED).
    await done("deliver_payment_notices", (await deliver(session)).delivered)
    await done("accrue_penalties", await _accrue_penalties(session, now))
    await done("flag_overdue", await _flag_overdue(session, clock, now))
    await done("apply_terminations", await termination.apply_due(session, now=now))  # TRM-*, ACC-7
    # Issue 14: last, so that the events the jobs above recorded go out in this sweep. Only a
    # sweep that commits as it goes sends them: runDueJobs is one request and one transaction,
    # and a webhook (up to 10 s) must never be awaited while a transaction holds locks (on
    # SQLite, the database's write lock). It fans them out; the next sweep delivers.
    await done("fan_out_events", await webhooks.fan_out(session, now=clock.now()))
    if checkpoint is not None:
        if data_key is None:
            data_key = await development_key(session)
        sent = await webhooks.deliver_due(
            session, sender=sender or Sender(), data_key=data_key, clock=clock, checkpoint=checkpoint
        )
        await done("deliver_webhooks", sent.delivered)
    return results


async def _issue_monthly_bills(
    session: AsyncSession, working, now: datetime, checkpoint: Callable[[], Awaitable[None]] | None
) -> int:
    """BIL-4: the previous month is billed on the first working day of this one (or at the
    first sweep after it, when the service was down that day, or after a run that crashed:
    committed chunk by chunk, it completes the remainder)."""
    period = run.previous_period(now)
    if await run.has_run(session, period):
        return 0
    month_start = local_date(now).replace(day=1)
    try:
        first_working_day = working.nth_working_day_after(month_start - timedelta(days=1), 1)
    except CalendarUnknown as error:
        log.warning("bill run for %s waits: %s", period, error.message)
        return 0
    if local_date(now) < first_working_day:
        return 0
    result = await run.run_monthly_billing(
        session, period=period, ran_by=SWEEPER.principal, now=now, checkpoint=checkpoint
    )
    return result.issued


async def _accrue_penalties(session: AsyncSession, now: datetime) -> int:
    """Materialise every accrual due up to today, account by account (row-locked)."""
    today = local_date(now)
    due = (
        select(Bill.account_id)
        .where(Bill.settled_at.is_not(None), Bill.pay_by.is_not(None), Bill.pay_by < now)
        .where((Bill.paid_fen < Bill.total_fen) | Bill.shortfall_closed_at.is_(None))
        .where(Bill.accrued_through.is_(None) | (Bill.accrued_through < today))  # not done today
        .distinct()
    )
    query = (
        select(Account)
        .where(Account.id.in_(due))
        .order_by(Account.id)
        .limit(ACCOUNT_BATCH)
        .with_for_update(key_share=True, skip_locked=True)  # NO KEY UPDATE (services/ledger lock order)
        .execution_options(populate_existing=True)  # balances moved by raw SQL earlier in the sweep
    )
    changed = 0
    for account in (await session.execute(query)).scalars().all():
        changed += await arrears.accrue(session, account, now=now)
    return changed


async def _flag_overdue(session: AsyncSession, clock: Clock, now: datetime) -> int:
    """PRE-5: record (and audit) each bill more than 15 days overdue; what to do about it is a
    staff measure (TRM-6)."""
    cutoff = now - timedelta(days=arrears.OVERDUE_ELIGIBLE_DAYS)
    query = (
        select(Bill)
        .where(
            Bill.overdue_flagged_at.is_(None),
            Bill.settled_at.is_not(None),
            Bill.paid_fen < Bill.total_fen,
            Bill.pay_by.is_not(None),
            Bill.pay_by < cutoff,
        )
        .with_for_update(key_share=True, skip_locked=True)  # NO KEY UPDATE (services/ledger lock order)
    )
    flagged = []
    for bill in (await session.execute(query)).scalars().all():
        if arrears.Owed(arrears.unpaid_fen(bill), 0, bill.pay_by).eligible_for_termination(now):
            bill.overdue_flagged_at = now
            flagged.append(bill)
    if flagged:
        await audit.record_many(
            session,
            clock=clock,
            actor=SWEEPER,
            action="flagOverdue",
            targets=[(b.account_id, f"bill:{b.period:%Y-%m}") for b in flagged],
            detail="PRE-5: more than 15 days overdue; eligible for termination without notice (TRM-6)",
        )
    return len(flagged)
