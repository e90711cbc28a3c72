"""Migration 0013 (BIL-1) on existing data: usage its month's bill carried is marked billed;
usage reported after that bill was issued (which the old run dropped) is left for the next bill
as a late line."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from api.db import create_engine, session_factory
from api.migrate import downgrade, upgrade
from models import UsageRecord
from services.billing import run
from tests.factories import add_usage, make_account, make_app

AUGUST = datetime(2026, 8, 15, 4, 0, tzinfo=UTC)


async def test_bil1_migration_marks_what_was_billed_and_leaves_late_usage_unbilled(databases) -> None:
    engine = create_engine(await databases.empty())
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            account = await make_account(session)
            app = await make_app(session, account_id=account.id)
            await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="100", at=AUGUST)
            issued = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
            await run.run_monthly_billing(session, period=date(2026, 8, 1), ran_by="test", now=issued)
            await session.commit()
            await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="50", at=AUGUST, commit=False)
            await session.flush()
            late = (
                await session.execute(select(UsageRecord).where(UsageRecord.quantity_micros == 50_000_000))
            ).scalar_one()
            late.reported_at = datetime(2026, 10, 2, tzinfo=UTC)
            await session.commit()
        await downgrade(engine, "0012")
        await upgrade(engine)
        async with session_factory(engine)() as session:
            marked = await session.execute(select(UsageRecord.quantity_micros, UsageRecord.bill_run_id.is_not(None)))
            assert sorted(marked.all()) == [(50_000_000, False), (100_000_000, True)]
    finally:
        await engine.dispose()
