"""Staff notices on every channel (NTC-1, NTC-4) and maintenance announcements (NTC-3).

Deemed delivery per channel (NTC-1), as decided here:
- IN_PERSON: staff record the notice once the addressee has signed for it, so it is delivered
  when recorded. It goes to one account.
- WEB_ANNOUNCEMENT: delivered when published, which is when it is recorded. To one account (a
  site message) or, with no account, to every customer.
- ELECTRONIC: an email to the account's contact address (or one to every account), through the
  outbox: delivered when the mail server accepted it (``notices.deliver_queued``), like bills.
- MAIL: delivered on its deemed day (``notices.mail_delivery``), counted from ``postedAt``
  (default: now; never in the future). To one account.

The delivery itself always goes through ``services.notices`` (``record_sent``, ``email_row``,
``queue_email_to_every_account``), whatever happens at delivery is kept in one place.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, EnforcementCase, Notice, NoticeChannel
from services import notices
from services.accounts import validation
from services.calendar import WorkingCalendar
from services.clock import SHANGHAI
from services.errors import InvalidInput, NotFound, NoticeTooShort

# NTC-3: routine maintenance is announced at least this long before it starts.
MAINTENANCE_LEAD = timedelta(hours=24)
ONE_ACCOUNT_CHANNELS = frozenset({NoticeChannel.IN_PERSON, NoticeChannel.MAIL})


@dataclass(frozen=True, slots=True)
class Sent:
    """What sending did: the notice when its delivery is known, or how many emails wait in the
    outbox (``queued``) with the id of the one when it went to a single account."""

    notice: Notice | None
    queued: int = 0
    queued_id: uuid.UUID | None = None


async def _case(session: AsyncSession, case_id: uuid.UUID | None, account: Account | None) -> uuid.UUID | None:
    """ENF-2: the case a notice belongs to must be the addressed account's."""
    if case_id is None:
        return None
    row = await session.get(EnforcementCase, case_id)
    if row is None or account is None or row.account_id != account.id:
        raise NotFound("no such enforcement case for this account", field=["caseId"])
    return row.id


async def send_notice(
    session: AsyncSession,
    *,
    account: Account | None,
    channel: NoticeChannel,
    subject: str,
    body: str,
    case_id: uuid.UUID | None,
    posted_at: datetime | None,
    sent_by: str,
    calendar: WorkingCalendar,
    now: datetime,
) -> Sent:
    """NTC-1 / NTC-4: keep the notice with its channel, addressee, content, send time and deemed
    delivery. ``account`` None is an announcement to every customer (web or email only)."""
    subject = validation.single_line(subject, "subject", max_length=300)
    body = validation.text(body, "body", max_length=20000)
    channel = NoticeChannel(channel)
    if account is None and channel in ONE_ACCOUNT_CHANNELS:
        raise InvalidInput(f"a {channel.value} notice goes to one account", field=["accountId"])
    if posted_at is not None and channel != NoticeChannel.MAIL:
        raise InvalidInput("postedAt is for MAIL notices", field=["postedAt"])
    case = await _case(session, case_id, account)
    account_id = None if account is None else account.id
    common = {"account_id": account_id, "subject": subject, "body": body, "sent_by": sent_by, "case_id": case}

    if channel == NoticeChannel.ELECTRONIC:
        if account is None:
            queued = await notices.queue_email_to_every_account(
                session, subject=subject, body=body, sent_by=sent_by, now=now
            )
            return Sent(notice=None, queued=len(queued))
        row = notices.email_row(email=account.email, now=now, **common)
        await session.execute(insert(Notice), [row])
        return Sent(notice=None, queued=1, queued_id=row["id"])

    if channel == NoticeChannel.MAIL:
        assert account is not None
        posted = posted_at or now
        if posted > now:
            raise InvalidInput("postedAt is in the future: record a letter once it is posted", field=["postedAt"])
        notice = await notices.record_sent(
            session,
            channel=channel,
            addressee=f"{account.contact_person}, {account.address}",
            sent_at=posted,
            delivered_at=notices.mail_delivery(posted, calendar),
            posted_at=posted,
            **common,
        )
        return Sent(notice=notice)

    if channel == NoticeChannel.IN_PERSON:
        assert account is not None
        addressee = account.contact_person
    else:
        addressee = notices.EVERY_CUSTOMER if account is None else account.name
    notice = await notices.record_sent(
        session, channel=channel, addressee=addressee, sent_at=now, delivered_at=now, **common
    )
    return Sent(notice=notice)


async def schedule_maintenance(
    session: AsyncSession,
    *,
    starts_at: datetime,
    ends_at: datetime,
    scheduled: bool,
    cause: str,
    sent_by: str,
    now: datetime,
) -> Notice:
    """NTC-3: routine maintenance is announced at least 24 hours before it starts
    (``NOTICE_TOO_SHORT``); unscheduled maintenance (force majeure, carrier fault) needs no lead
    time but carries its cause. Announced to every customer on the web, delivered when
    published (now)."""
    cause = validation.text(cause, "cause", max_length=2000)
    if ends_at <= starts_at:
        raise InvalidInput("endsAt must be after startsAt", field=["endsAt"])
    if scheduled and starts_at - now < MAINTENANCE_LEAD:
        raise NoticeTooShort(
            "routine maintenance must be announced at least 24 hours before it starts", field=["startsAt"]
        )
    if not scheduled and ends_at <= now:
        raise InvalidInput("unscheduled maintenance that already ended is not announced", field=["endsAt"])
    window = f"{_shanghai(starts_at)} – {_shanghai(ends_at)} (Asia/Shanghai)"
    kind = "Scheduled maintenance" if scheduled else "Unscheduled maintenance"
    return await notices.record_sent(
        session,
        account_id=None,
        channel=NoticeChannel.WEB_ANNOUNCEMENT,
        addressee=notices.EVERY_CUSTOMER,
        subject=f"{kind}: {window}",
        body=f"{kind} of the RTC service from {window}.\nCause: {cause}",
        sent_by=sent_by,
        sent_at=now,
        delivered_at=now,
    )


def _shanghai(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
