"""NTC-1 / NTC-4: notices with their deemed delivery. Electronic notices (system notice, site
message, email, SMS) are delivered when sent successfully.

Emails go through an outbox: ``email_row`` rows are written the notice in the caller's transaction and
``deliver_queued`` hands it to the mail server later, setting the delivery time only once the
server accepted it. A deadline that runs from delivery (BIL-5, PRE-3, PRE-4) starts then.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, Bill, Notice, NoticeChannel, NoticePurpose
from services import events
from services.batch import new_row
from services.calendar import WorkingCalendar
from services.clock import Clock
from services.errors import CalendarUnknown
from services.mail import Email, Mailer, MailError
from services.pagination import Page, keyset_page

EVERY_CUSTOMER = "all customers"
SYSTEM = "system:notices"
# BIL-5: 2 working days to confirm or dispute; PRE-3 / PRE-4: 5 working days to pay.
DISPUTE_WORKING_DAYS = 2
PAY_WORKING_DAYS = 5
DELIVERY_BATCH = 200


async def send_electronic(
    session: AsyncSession,
    *,
    account_id: uuid.UUID | None,
    addressee: str,
    subject: str,
    body: str,
    sent_by: str,
    now: datetime,
) -> Notice:
    """A system notice shown in the console: delivered the moment it is written."""
    notice = Notice(
        account_id=account_id,
        channel=NoticeChannel.ELECTRONIC,
        addressee=addressee,
        subject=subject,
        body=body,
        sent_at=now,
        delivered_at=now,
        sent_by=sent_by,
    )
    session.add(notice)
    await session.flush()
    await announce_delivered(session, notice)
    return notice


async def announce_delivered(session: AsyncSession, notice: Notice) -> None:
    """Issue 14: ``notice.sent`` when a notice to an account is delivered (the one place every
    delivery goes through: written delivered, or accepted by the mail server). An announcement
    to every customer belongs to no account and is no account's event."""
    if notice.account_id is None or notice.delivered_at is None:
        return
    await events.record(
        session,
        account_id=notice.account_id,
        type="notice.sent",
        at=notice.delivered_at,
        data={
            "notice": events.global_id("Notice", notice.id),
            "channel": str(notice.channel),
            "subject": notice.subject,
            "deliveredAt": events.iso(notice.delivered_at),
        },
    )


def email_row(
    *,
    account_id: uuid.UUID,
    email: str,
    subject: str,
    body: str,
    now: datetime,
    purpose: NoticePurpose | None = None,
    bill_id: uuid.UUID | None = None,
    sent_by: str = SYSTEM,
) -> dict:
    """An email notice for the outbox (not yet sent: no send or delivery time), as the row a
    bulk insert takes: the bill run queues thousands at once."""
    return new_row(
        now,
        account_id=account_id,
        channel=NoticeChannel.ELECTRONIC,
        addressee=email,
        email_to=email,
        subject=subject,
        body=body,
        purpose=purpose,
        bill_id=bill_id,
        sent_by=sent_by,
        attempts=0,
    )


async def queue_email_to_every_account(
    session: AsyncSession, *, subject: str, body: str, sent_by: str, now: datetime
) -> int:
    """One outbox email per account, to its contact address (an announcement by email)."""
    accounts = (await session.execute(select(Account.id, Account.email))).all()
    rows = [
        email_row(account_id=account_id, email=email, subject=subject, body=body, now=now, sent_by=sent_by)
        for account_id, email in accounts
    ]
    if rows:
        await session.execute(insert(Notice), rows)
    return len(rows)


@dataclass(frozen=True, slots=True)
class Delivery:
    delivered: int
    failed: int


async def deliver_queued(
    session: AsyncSession,
    *,
    mailer: Mailer,
    calendar: WorkingCalendar,
    clock: Clock,
    limit: int = DELIVERY_BATCH,
    checkpoint: Callable[[], Awaitable[None]] | None = None,
) -> Delivery:
    """Send queued emails, one at a time: claim one row with SKIP LOCKED (two sweeps never send
    the same notice), send it, stamp the instant the server accepted it (NTC-1: deadlines run
    from then), and ``checkpoint`` (the sweep commits there, so a later failure cannot undo a
    delivery that happened). Notices that failed before go after fresh ones, so one bad address
    cannot hold up the rest. A notice whose deadline would need an unloaded calendar year waits
    (T-3) instead of starting a deadline nobody can compute."""
    tried: list[uuid.UUID] = []
    delivered = failed = 0
    while len(tried) < limit:
        query = (
            select(Notice)
            .where(Notice.email_to.is_not(None), Notice.delivered_at.is_(None))
            .order_by(Notice.attempts, Notice.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if tried:
            query = query.where(Notice.id.not_in(tried))
        notice = (await session.execute(query)).scalar_one_or_none()
        if notice is None:
            break
        tried.append(notice.id)
        notice.attempts += 1
        try:
            # Both the day it is now and the next must be countable: sending may cross midnight.
            for moment in (clock.now(), clock.now() + timedelta(days=1)):
                _deadline(notice, calendar, moment)
            await mailer.send(Email(to=notice.email_to or "", subject=notice.subject, body=notice.body))
        except (MailError, CalendarUnknown) as error:
            notice.last_error = str(error)[:500]
            failed += 1
        else:
            accepted = clock.now()
            notice.sent_at = notice.delivered_at = accepted
            notice.last_error = None
            deadline = _deadline(notice, calendar, accepted)
            if deadline is not None and notice.bill_id is not None:
                await _start_deadline(session, notice, deadline, accepted)
            await announce_delivered(session, notice)
            delivered += 1
        await session.flush()
        if checkpoint is not None:
            await checkpoint()
    return Delivery(delivered, failed)


def _deadline(notice: Notice, calendar: WorkingCalendar, now: datetime) -> datetime | None:
    if notice.purpose == NoticePurpose.BILL:
        return calendar.deadline_after(now, DISPUTE_WORKING_DAYS)
    if notice.purpose == NoticePurpose.PAYMENT_DUE:
        return calendar.deadline_after(now, PAY_WORKING_DAYS)
    return None


async def _start_deadline(session: AsyncSession, notice: Notice, deadline: datetime, now: datetime) -> None:
    if notice.purpose == NoticePurpose.BILL:
        values = {"delivered_at": now, "dispute_deadline": deadline}
    else:
        values = {"pay_by": deadline}
    await session.execute(
        update(Bill).where(Bill.id == notice.bill_id).values(**values).execution_options(synchronize_session="fetch")
    )


async def page_for_account(
    session: AsyncSession, *, account_id: uuid.UUID, first: int, after: uuid.UUID | None
) -> Page[Notice]:
    """NTC-4: what was sent to the account, and announcements to every customer."""
    query = select(Notice).where(
        or_(Notice.account_id == account_id, Notice.account_id.is_(None)), Notice.delivered_at.is_not(None)
    )
    return await keyset_page(session, query, Notice.id, first=first, after=after)


async def notice_in_scope(session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None) -> Notice | None:
    """NTC-4: a delivered notice the account's list shows (its own, or an announcement to every
    customer); None means staff, every notice."""
    query = select(Notice).where(Notice.id == key, Notice.delivered_at.is_not(None))
    if account_id is not None:
        query = query.where(or_(Notice.account_id == account_id, Notice.account_id.is_(None)))
    return (await session.execute(query)).scalar_one_or_none()
