"""NTC-1: the email outbox. A notice that could not be sent waits behind fresh ones, so one bad
address or a mail server outage cannot hold up everything queued after it."""

from datetime import UTC, datetime

from sqlalchemy import select

from models import Account, Notice
from services import notices
from services.calendar import WorkingCalendar
from services.clock import FixedClock
from services.mail import OutboxMailer, SmtpMailer
from tests.services.test_mail import free_port

NOW = datetime(2026, 9, 30, 2, tzinfo=UTC)


async def _queue(session, account: Account, subject: str) -> None:
    row = notices.email_row(account_id=account.id, email=account.email, subject=subject, body="b", now=NOW)
    session.add(Notice(**row))
    await session.commit()


async def test_ntc1_a_failed_notice_goes_after_fresh_ones(session, tmp_path) -> None:
    account = Account(
        holder_type="ENTERPRISE", name="甲", contact_person="c", email="ops@jia.cn", phone="13800138000", address="a"
    )
    session.add(account)
    await _queue(session, account, "first, fails")
    clock, calendar = FixedClock(NOW), WorkingCalendar()
    down = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", timeout=1)
    failed = await notices.deliver_queued(session, mailer=down, calendar=calendar, clock=clock)
    assert (failed.delivered, failed.failed) == (0, 1)
    await _queue(session, account, "second, fresh")

    sent = await notices.deliver_queued(session, mailer=OutboxMailer(tmp_path), calendar=calendar, clock=clock, limit=1)
    assert (sent.delivered, sent.failed) == (1, 0)
    rows = (await session.execute(select(Notice.subject, Notice.attempts, Notice.delivered_at))).all()
    assert sorted(rows) == [("first, fails", 1, None), ("second, fresh", 1, NOW)]
