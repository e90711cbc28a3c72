"""The demo's two months of bills (issue 5), made by the real bill run, sweep and services at
the instants they would have happened, relative to today:

- 深圳示例音视频 (20,000.00 prepaid): the month before last deemed accepted when its window
  closed, then settled from the balance; last month's bill disputed, waiting for FINANCE.
- 王芳 (nothing prepaid): the month before last deemed accepted and settled with an empty
  balance, so she is in arrears with penalties accruing (PRE-4) and, after 15 days overdue,
  eligible for termination (PRE-5); last month's bill issued today, its window open.

深圳's recording storage (120 GB from the 10th) is billed time-weighted: the month before last
for the days held, last month in full (BIL-8). Some audio minutes of the month before last are
reported after its bill was issued: last month's bill carries them as a late line naming that
month (BIL-1).
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from auth.secrets import digest, new_secret
from models import Account, App, Bill
from services import notices
from services.apps import service as apps
from services.billing import bills, run, usage
from services.calendar import calendar
from services.clock import SHANGHAI, Clock, FixedClock, local_date
from services.mail import Mailer

USAGE = {
    "live": [("RTC_VIDEO_HD_MINUTES", "431.25"), ("RTC_AUDIO_MINUTES", "96.5"), ("RECORDING_STORAGE_GB_MONTH", "120")],
    "tutoring": [("RTC_VIDEO_HD_MINUTES", "12.5"), ("RTC_AUDIO_MINUTES", "3.25")],
}


async def seed_bills(
    session: AsyncSession, *, shenzhen: Account, live: App, wang: Account, clock: Clock, mailer: Mailer
) -> None:
    now = clock.now()
    this_month = local_date(now).replace(day=1)
    last = (this_month - timedelta(days=1)).replace(day=1)
    before_last = (last - timedelta(days=1)).replace(day=1)
    tutoring = await apps.create_app(
        session,
        account=wang,
        name="在线一对一辅导",
        terminals=["WEB"],
        scenarios=["EDUCATION"],
        secret_digest=digest(new_secret()),
    )
    for period in (before_last, last):
        for app, kind, terminal, scenario in (
            (live, "live", "IOS", "LIVE_STREAMING"),
            (tutoring, "tutoring", "WEB", "EDUCATION"),
        ):
            for product, quantity in USAGE[kind]:
                at = datetime.combine(period + timedelta(days=9), time(12), tzinfo=SHANGHAI)
                await usage.report_usage(
                    session,
                    app=app,
                    product=product,
                    quantity=Decimal(quantity),
                    terminal=terminal,
                    scenario=scenario,
                    occurred_at=at,
                    idempotency_key=f"demo-bill-{period:%Y-%m}-{kind}-{product}",
                    reported_by="client:demo-metering",
                    now=at,
                )
    working = await calendar(session)
    # The month before last: issued on the first working day of last month, deemed accepted
    # and settled when its window closed; the payment notice then started PRE-3/PRE-4.
    issued = datetime.combine(working.nth_working_day_after(last - timedelta(days=1), 1), time(10), tzinfo=SHANGHAI)
    await run.run_monthly_billing(session, period=before_last, ran_by="demo-seed", now=issued)
    await notices.deliver_queued(session, mailer=mailer, calendar=working, clock=FixedClock(issued))
    closed = working.deadline_after(issued, notices.DISPUTE_WORKING_DAYS) + timedelta(hours=1)
    await bills.deem_and_settle(session, now=closed)
    await notices.deliver_queued(session, mailer=mailer, calendar=working, clock=FixedClock(closed))
    # BIL-1: metering reports 8.75 (thousand) audio minutes of the month before last, late.
    await usage.report_usage(
        session,
        app=live,
        product="RTC_AUDIO_MINUTES",
        quantity=Decimal("8.75"),
        terminal="IOS",
        scenario="LIVE_STREAMING",
        occurred_at=datetime.combine(before_last + timedelta(days=20), time(18), tzinfo=SHANGHAI),
        idempotency_key=f"demo-bill-{before_last:%Y-%m}-live-late",
        reported_by="client:demo-metering",
        now=closed,
    )
    # Last month: issued and delivered today; 深圳 disputes part of it.
    await run.run_monthly_billing(session, period=last, ran_by="demo-seed", now=now)
    await notices.deliver_queued(session, mailer=mailer, calendar=working, clock=FixedClock(now))
    disputed = await session.scalar(
        Bill.__table__.select().with_only_columns(Bill.id).where(Bill.account_id == shenzhen.id, Bill.period == last)
    )
    await bills.dispute(
        session,
        bill_id=disputed,
        account_id=shenzhen.id,
        amount=Decimal("100.00"),
        reason="10 日晚高峰时段的高清视频分钟数与我方统计不符",
        opened_by="user:billing@shenzhen-rtc.demo",
        now=now,
    )
