"""NTC-1 / NTC-4: notices with their deemed delivery. Electronic notices (system notice, site
message, email, SMS) are delivered when sent successfully.

Emails go through an outbox: ``email_row`` rows are written the notice in the caller's transaction and
``deliver_queued`` hands it to the mail server later, setting the delivery time only once the
server accepted it. A deadline that runs from delivery (BIL-5, PRE-3, PRE-4) starts then.
"""

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, Bill, ListPrice, Notice, NoticeChannel, NoticePurpose, PriceChangeDelivery
from services import events
from services.batch import new_row
from services.calendar import WorkingCalendar, deadlines
from services.calendar.deadline_spec import DayCount, DeadlineSpec
from services.clock import Clock, local_date, start_of_day
from services.errors import CalendarUnknown
from services.mail import Email, Mailer, MailError
from services.pagination import Page, keyset_page

log = logging.getLogger("accord.notices")
EVERY_CUSTOMER = "all customers"
SYSTEM = "system:notices"
# BIL-5: 2 working days to confirm or dispute; PRE-3 / PRE-4: 5 working days to pay.
DISPUTE_WORKING_DAYS = 2
PAY_WORKING_DAYS = 5
DELIVERY_BATCH = 200
# NTC-1: mail is deemed delivered on the 3rd calendar day after posting.
MAIL_DAYS = 3


def dispute_window(delivered_at: datetime, *, what: str = "window to confirm or dispute the bill") -> DeadlineSpec:
    """BIL-5: the end of the 2nd working day after the bill's deemed delivery."""
    return DeadlineSpec(
        what=what,
        rule="BIL-5",
        clause="4.4.3",
        start=delivered_at,
        counted=DayCount.WORKING_DAYS,
        days=DISPUTE_WORKING_DAYS,
    )


def payment_window(delivered_at: datetime, *, arrears: bool = True, what: str | None = None) -> DeadlineSpec:
    """PRE-4 (arrears) / PRE-3 (balance below a month's consumption): the end of the 5th working
    day after the payment notice's deemed delivery."""
    rule, clause = ("PRE-4", "4.7.1") if arrears else ("PRE-3", "4.3.3")
    return DeadlineSpec(
        what=what or ("pay the unpaid amount" if arrears else "top the balance up to a month's consumption"),
        rule=rule,
        clause=clause,
        start=delivered_at,
        counted=DayCount.WORKING_DAYS,
        days=PAY_WORKING_DAYS,
    )


# NTC-2: a price change applies to an account 7 days after its email was delivered, at the earliest.
PRICE_CHANGE_NOTICE = timedelta(days=7)


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
    delivery goes through: written delivered, or accepted by the mail server; a posted letter
    when it is posted, with its deemed delivery in the data). An announcement to every customer
    belongs to no account and is no account's event."""
    if notice.account_id is None or notice.delivered_at is None:
        return
    await events.record(
        session,
        account_id=notice.account_id,
        type="notice.sent",
        at=notice.sent_at or notice.delivered_at,
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
    case_id: uuid.UUID | None = None,
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
        case_id=case_id,
    )


async def queue_email_to_every_account(
    session: AsyncSession,
    *,
    subject: str,
    body: str,
    sent_by: str,
    now: datetime,
    purpose: NoticePurpose | None = None,
) -> list[dict]:
    """One outbox email per account, to its contact address (an announcement by email); the
    rows inserted."""
    accounts = (await session.execute(select(Account.id, Account.email))).all()
    rows = [
        email_row(
            account_id=account_id, email=email, subject=subject, body=body, now=now, sent_by=sent_by, purpose=purpose
        )
        for account_id, email in accounts
    ]
    if rows:
        await session.execute(insert(Notice), rows)
    return rows


def mail_delivery(posted_at: datetime, calendar: WorkingCalendar) -> datetime:
    """NTC-1: courier or registered mail is deemed delivered on the 3rd calendar day after
    posting; when that day is inside an official holiday period (not an ordinary weekend), on
    the first working day after the period. The deemed delivery is that day from its start
    (00:00 Asia/Shanghai): deadlines "after receipt" count from its date (T-4)."""
    day = local_date(posted_at) + timedelta(days=MAIL_DAYS)
    if calendar.is_official_holiday(day):
        day = calendar.nth_working_day_after(day, 1)
    return start_of_day(day)


async def record_sent(
    session: AsyncSession,
    *,
    account_id: uuid.UUID | None,
    channel: NoticeChannel,
    addressee: str,
    subject: str,
    body: str,
    sent_by: str,
    sent_at: datetime,
    delivered_at: datetime,
    case_id: uuid.UUID | None = None,
    posted_at: datetime | None = None,
) -> Notice:
    """A notice whose deemed delivery is known when it is recorded (NTC-1, NTC-4): handed over in
    person, published on the web, a console notice, or posted (delivered on its deemed day)."""
    notice = Notice(
        account_id=account_id,
        channel=channel,
        addressee=addressee,
        subject=subject,
        body=body,
        sent_at=sent_at,
        delivered_at=delivered_at,
        sent_by=sent_by,
        case_id=case_id,
        posted_at=posted_at,
    )
    session.add(notice)
    await session.flush()
    await announce_delivered(session, notice)
    return notice


def delivered_by(notice: Notice, now: datetime) -> bool:
    """NTC-1: whether the notice is deemed delivered at ``now`` (a posted letter's deemed day may
    still be ahead; an email waits in the outbox until the server accepts it)."""
    return notice.delivered_at is not None and notice.delivered_at <= now


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
    payment_notices: bool = True,
) -> Delivery:
    """Send queued emails, one at a time: claim one row with SKIP LOCKED (two sweeps never send
    the same notice), send it, stamp the instant the server accepted it (NTC-1: deadlines run
    from then), and ``checkpoint`` (the sweep commits there, so a later failure cannot undo a
    delivery that happened). Notices that failed before go after fresh ones, so one bad address
    cannot hold up the rest. A notice whose deadline would need an unloaded calendar year waits
    (T-3) instead of starting a deadline nobody can compute. ``payment_notices=False`` leaves
    PAYMENT_DUE notices for a later call (services/jobs.py says why)."""
    tried: list[uuid.UUID] = []
    delivered = failed = 0
    paused = await deadlines.pauses(session, now=clock.now())  # FM-1
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
        if not payment_notices:
            query = query.where(Notice.purpose.is_distinct_from(NoticePurpose.PAYMENT_DUE))
        notice = (await session.execute(query)).scalar_one_or_none()
        if notice is None:
            break
        tried.append(notice.id)
        notice.attempts += 1
        try:
            # Both the day it is now and the next must be countable: sending may cross midnight.
            for moment in (clock.now(), clock.now() + timedelta(days=1)):
                _deadline(notice, calendar, moment, paused)
            await mailer.send(Email(to=notice.email_to or "", subject=notice.subject, body=notice.body))
        except (MailError, CalendarUnknown) as error:
            notice.last_error = str(error)[:500]
            failed += 1
            if isinstance(error, CalendarUnknown):  # T-3: it waits, and says why
                log.warning("%s notice %s waits: %s", notice.purpose, notice.id, error.message)
        else:
            accepted = clock.now()
            notice.sent_at = notice.delivered_at = accepted
            notice.last_error = None
            deadline = _deadline(notice, calendar, accepted, paused)
            if deadline is not None and notice.bill_id is not None:
                await _start_deadline(session, notice, deadline, accepted)
            if notice.purpose == NoticePurpose.PRICE_CHANGE:
                await _price_change_delivered(session, notice, accepted)
            await announce_delivered(session, notice)
            delivered += 1
        await session.flush()
        if checkpoint is not None:
            await checkpoint()
    return Delivery(delivered, failed)


def _deadline(
    notice: Notice, calendar: WorkingCalendar, now: datetime, paused: list[deadlines.Pause]
) -> datetime | None:
    """The deadline delivery starts, counted from its spec like its explanation (issue 12)."""
    if notice.purpose == NoticePurpose.BILL:
        return deadlines.count(dispute_window(now), calendar, paused).due
    if notice.purpose == NoticePurpose.PAYMENT_DUE:
        return deadlines.count(payment_window(now), calendar, paused).due
    return None


async def _start_deadline(session: AsyncSession, notice: Notice, deadline: datetime, now: datetime) -> None:
    if notice.purpose == NoticePurpose.BILL:
        values = {"delivered_at": now, "dispute_deadline": deadline}
    else:
        values = {"pay_by": deadline}
    await session.execute(
        update(Bill).where(Bill.id == notice.bill_id).values(**values).execution_options(synchronize_session="fetch")
    )


async def _price_change_delivered(session: AsyncSession, notice: Notice, delivered_at: datetime) -> None:
    """NTC-2: the new price applies to this account from 7 days after this delivery, and never
    before the change's own date."""
    found = (
        await session.execute(
            select(PriceChangeDelivery, ListPrice.effective_from)
            .join(ListPrice, ListPrice.id == PriceChangeDelivery.list_price_id)
            .where(PriceChangeDelivery.notice_id == notice.id)
        )
    ).first()
    if found is not None:
        delivery, effective_from = found
        delivery.applies_from = max(effective_from, delivered_at + PRICE_CHANGE_NOTICE)


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


async def payment_notices_delivered(session: AsyncSession, bill_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """PRE-3 / PRE-4: when each bill's latest payment notice was delivered (its pay-by counts
    from it), for bills the caller has already read in its scope."""
    rows = await session.execute(
        select(Notice.bill_id, func.max(Notice.delivered_at))
        .where(
            Notice.bill_id.in_(bill_ids), Notice.purpose == NoticePurpose.PAYMENT_DUE, Notice.delivered_at.is_not(None)
        )
        .group_by(Notice.bill_id)
    )
    return {bill_id: delivered for bill_id, delivered in rows.all()}
