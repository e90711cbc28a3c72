"""Facts staff record about the vendor's side (issue 12): RTC outages (TRM-2) and force-majeure
events (FM-1, TRM-7), and what the termination rules ask of them.

Recording a force-majeure event re-counts the deadlines still running against customers (BIL-5
dispute windows, PRE-3/PRE-4 pay-by) with ``services.calendar.deadlines``, so the enforced
dates stay the ones their explanations show (FM-1: the count pauses while the event lasts)."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Bill, BillState, ForceMajeureEvent, Notice, NoticePurpose, Outage
from services import notices
from services.accounts import validation
from services.calendar import calendar as load_calendar
from services.calendar import deadlines
from services.errors import InvalidInput, InvalidState, NotFound

# TRM-2: an outage longer than 5 × 24 h lets the customer terminate.
TRM2_OUTAGE = timedelta(days=5)


def _check_period(started_at: datetime, ended_at: datetime | None, now: datetime) -> None:
    if started_at > now:
        raise InvalidInput("startedAt is in the future: record what has begun", field=["startedAt"])
    if ended_at is not None and ended_at < started_at:
        raise InvalidInput("endedAt is before startedAt", field=["endedAt"])


async def record_outage(
    session: AsyncSession,
    *,
    started_at: datetime,
    ended_at: datetime | None,
    description: str,
    recorded_by: str,
    now: datetime,
) -> Outage:
    """TRM-2: an RTC outage (``ended_at`` None: still going on)."""
    description = validation.text(description, "description", max_length=2000)
    _check_period(started_at, ended_at, now)
    row = Outage(started_at=started_at, ended_at=ended_at, description=description, recorded_by=recorded_by)
    session.add(row)
    await session.flush()
    return row


async def record_force_majeure(
    session: AsyncSession,
    *,
    kind: str,
    started_at: datetime,
    ended_at: datetime | None,
    description: str,
    recorded_by: str,
    now: datetime,
) -> tuple[ForceMajeureEvent, int]:
    """FM-1: staff record a force-majeure event (kind, start, end; no end: still going on); the
    deadlines still running against customers are re-counted at once. Returns the event and how
    many deadlines moved."""
    kind = validation.single_line(kind, "kind", max_length=100)
    description = validation.text(description, "description", max_length=2000)
    _check_period(started_at, ended_at, now)
    row = ForceMajeureEvent(
        kind=kind, started_at=started_at, ended_at=ended_at, description=description, recorded_by=recorded_by
    )
    session.add(row)
    await session.flush()
    return row, await recount_running_deadlines(session, now=now)


async def end_force_majeure(
    session: AsyncSession, *, event_id: uuid.UUID, ended_at: datetime, now: datetime
) -> tuple[ForceMajeureEvent, int]:
    """FM-1: record the end of an event that was still going on; running deadlines are
    re-counted (its pause now stops at the end's date)."""
    row = await session.get(ForceMajeureEvent, event_id, with_for_update=True)
    if row is None:
        raise NotFound("no such force-majeure event", field=["id"])
    if row.ended_at is not None:
        raise InvalidState("the event's end is already recorded", field=["id"])
    if ended_at > now:
        raise InvalidInput("endedAt is in the future: record the end once it has come", field=["endedAt"])
    _check_period(row.started_at, ended_at, now)
    row.ended_at = ended_at
    await session.flush()
    return row, await recount_running_deadlines(session, now=now)


async def recount_while_ongoing(session: AsyncSession, *, now: datetime) -> int:
    """The sweep's part of FM-1: while an event is still going on its pause grows by a day each
    day, so the running deadlines are re-counted (nothing to do otherwise)."""
    ongoing = await session.scalar(select(ForceMajeureEvent.id).where(ForceMajeureEvent.ended_at.is_(None)).limit(1))
    return 0 if ongoing is None else await recount_running_deadlines(session, now=now)


async def recount_running_deadlines(session: AsyncSession, *, now: datetime) -> int:
    """FM-1: re-count the bill deadlines not yet passed from their specs, with every recorded
    force-majeure event. A deadline already passed stays as enforced, and a re-count never
    moves a running deadline into the past (an end recorded late): such a deadline keeps its
    date. Returns how many moved. Bills are locked first (the lock order of services/ledger)."""
    working = await load_calendar(session)
    paused = await deadlines.pauses(session, now=now)
    moved = 0
    running = await session.execute(
        select(Bill)
        .where(Bill.state == BillState.ISSUED, Bill.delivered_at.is_not(None), Bill.dispute_deadline >= now)
        .order_by(Bill.id)
        .with_for_update()
    )
    for bill in running.scalars():
        assert bill.delivered_at is not None
        due = deadlines.count(notices.dispute_window(bill.delivered_at), working, paused).due
        if due != bill.dispute_deadline and due >= now:
            bill.dispute_deadline, moved = due, moved + 1
    payment_notices = (
        select(Notice.bill_id, func.max(Notice.delivered_at).label("delivered_at"))
        .where(Notice.purpose == NoticePurpose.PAYMENT_DUE, Notice.delivered_at.is_not(None))
        .group_by(Notice.bill_id)
        .subquery()
    )
    owing = await session.execute(
        select(Bill, payment_notices.c.delivered_at)
        .join(payment_notices, payment_notices.c.bill_id == Bill.id)
        .where(Bill.pay_by >= now)
        .order_by(Bill.id)
        .with_for_update(of=Bill)
    )
    for bill, delivered_at in owing.all():
        due = deadlines.count(notices.payment_window(delivered_at), working, paused).due
        if due != bill.pay_by and due >= now:
            bill.pay_by, moved = due, moved + 1
    await session.flush()
    return moved


def _lasted(started_at: datetime, ended_at: datetime | None, now: datetime) -> timedelta:
    end = now if ended_at is None or ended_at > now else ended_at
    return max(end - started_at, timedelta(0))


async def longest_outage(session: AsyncSession, *, now: datetime, since: datetime | None = None) -> timedelta:
    """TRM-2: the longest recorded outage (one still going on lasts until ``now``), among those
    that ended at or after ``since`` (or are still going on); zero when there is none."""
    query = select(Outage.started_at, Outage.ended_at).where(Outage.started_at <= now)
    if since is not None:
        query = query.where((Outage.ended_at.is_(None)) | (Outage.ended_at >= since))
    rows = (await session.execute(query)).all()
    return max((_lasted(start, end, now) for start, end in rows), default=timedelta(0))


async def outage_over_five_days(session: AsyncSession, *, now: datetime, since: datetime | None = None) -> bool:
    """TRM-2: a recorded outage longer than 5 × 24 h."""
    return await longest_outage(session, now=now, since=since) > TRM2_OUTAGE
