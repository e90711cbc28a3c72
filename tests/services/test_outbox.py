"""NTC-1: the email outbox. A notice that could not be sent waits behind fresh ones, so one bad
address or a mail server outage cannot hold up everything queued after it."""

from datetime import UTC, datetime

from sqlalchemy import select

from models import Notice
from services import notices
from services.calendar import WorkingCalendar
from services.clock import FixedClock
from services.mail import OutboxMailer, SmtpMailer
from tests.factories import queued_email
from tests.services.test_mail import free_port

NOW = datetime(2026, 9, 30, 2, tzinfo=UTC)


async def test_ntc1_a_failed_notice_goes_after_fresh_ones(session, tmp_path) -> None:
    account = await queued_email(session, subject="first, fails")
    clock, calendar = FixedClock(NOW), WorkingCalendar()
    down = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", timeout=1)
    failed = await notices.deliver_queued(session, mailer=down, calendar=calendar, clock=clock)
    assert (failed.delivered, failed.failed) == (0, 1)
    await queued_email(session, subject="second, fresh", account=account)

    sent = await notices.deliver_queued(session, mailer=OutboxMailer(tmp_path), calendar=calendar, clock=clock, limit=1)
    assert (sent.delivered, sent.failed) == (1, 0)
    rows = (await session.execute(select(Notice.subject, Notice.attempts, Notice.delivered_at))).all()
    assert sorted(rows) == [("first, fails", 1, None), ("second, fresh", 1, NOW)]
