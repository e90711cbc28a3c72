"""The demo's notices and incidents (issue 12), made by the real services:

- 王芳: a registered letter posted Mon 28 Sep 2026, whose 3rd day fell in the National Day break,
  so it was deemed delivered on Thu 8 Oct (NTC-1);
- 深圳示例音视频: August 2026's bill, held and issued late on Wed 30 Sep 2026; its dispute window's
  explanation skips the 1–7 Oct break (BIL-5, T-4); deemed accepted when it closed on 9 Oct;
- a three-hour RTC outage ten days ago (TRM-2) and routine maintenance announced for three days
  from now (NTC-3).
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, App, NoticeChannel
from services import incidents, notice_channels, notices
from services.billing import bills, run, usage
from services.calendar import calendar
from services.clock import SHANGHAI, Clock, FixedClock
from services.mail import Mailer

AUGUST = date(2026, 8, 1)
POSTED = datetime(2026, 9, 28, 10, tzinfo=SHANGHAI)
ISSUED = datetime(2026, 9, 30, 10, tzinfo=SHANGHAI)
WINDOW_CLOSED = datetime(2026, 10, 10, 1, tzinfo=SHANGHAI)
STAFF = "staff:admin@accord.demo"


async def seed_notices(
    session: AsyncSession, *, shenzhen: Account, live: App, wang: Account, clock: Clock, mailer: Mailer
) -> None:
    now = clock.now()
    working = await calendar(session)
    if now >= POSTED:
        await notice_channels.send_notice(
            session,
            account=wang,
            channel=NoticeChannel.MAIL,
            subject="催款函 / Payment reminder (registered mail)",
            body="您的账户存在逾期未付款项，请尽快付清 (Art. 4.7.1).",
            case_id=None,
            posted_at=POSTED,
            sent_by="staff:finance@accord.demo",
            calendar=working,
            now=now,
        )
    # August's bill only when the relative months of demo_billing are later than it.
    if datetime(2026, 11, 1, tzinfo=SHANGHAI) <= now and not await run.has_run(session, AUGUST):
        await _national_day_bill(session, shenzhen=shenzhen, live=live, mailer=mailer)
    await incidents.record_outage(
        session,
        started_at=now - timedelta(days=10),
        ended_at=now - timedelta(days=10) + timedelta(hours=3),
        description="华东机房网络设备故障，音视频服务中断约 3 小时",
        recorded_by=STAFF,
        now=now,
    )
    starts = datetime.combine((now + timedelta(days=3)).astimezone(SHANGHAI).date(), time(2), tzinfo=SHANGHAI)
    await notice_channels.schedule_maintenance(
        session,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        scheduled=True,
        cause="信令服务器例行升级 / routine upgrade of the signalling servers",
        sent_by=STAFF,
        now=now,
    )


async def _national_day_bill(session: AsyncSession, *, shenzhen: Account, live: App, mailer: Mailer) -> None:
    at = datetime(2026, 8, 10, 12, tzinfo=SHANGHAI)
    await usage.report_usage(
        session,
        app=live,
        product="RTC_VIDEO_HD_MINUTES",
        quantity=Decimal("200"),
        terminal="IOS",
        scenario="LIVE_STREAMING",
        occurred_at=at,
        idempotency_key="demo-bill-2026-08-live",
        reported_by="client:demo-metering",
        now=at,
    )
    working = await calendar(session)
    await run.run_monthly_billing(session, period=AUGUST, ran_by="demo-seed", now=ISSUED)
    await notices.deliver_queued(session, mailer=mailer, calendar=working, clock=FixedClock(ISSUED))
    # Deemed accepted when the window closed at the end of Fri 9 Oct, then settled from the balance.
    await bills.deem_and_settle(session, now=WINDOW_CLOSED)
