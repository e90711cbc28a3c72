"""APP-3: usage outside an AppID's declared scope opens a real AUTOMATIC enforcement case (on
which measures can be taken), and concurrent reports open exactly one. On PostgreSQL, with the
overlap forced: the second report starts while the first's transaction is still open."""

import asyncio
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from api.db import create_engine, session_factory
from models import App, CaseSource, EnforcementCase, UsageRecord
from schema.relay import encode_id
from services.billing import usage
from tests.conftest import requires_postgres
from tests.enforcement.helpers import apply, delivered_notice, status_of
from tests.factories import make_app


async def report(session, app_key, key: str, now):
    app = await session.get(App, app_key)
    return await usage.report_usage(
        session,
        app=app,
        product="RTC_AUDIO_MINUTES",
        quantity=Decimal("1"),
        terminal="WEB",  # the AppID declared IOS only
        scenario="LIVE_STREAMING",
        occurred_at=now - timedelta(minutes=1),
        idempotency_key=key,
        reported_by="client:metering",
        now=now,
    )


async def automatic_cases(session) -> int:
    return await session.scalar(
        select(func.count()).select_from(EnforcementCase).where(EnforcementCase.source == CaseSource.AUTOMATIC)
    )


@requires_postgres
async def test_app3_concurrent_out_of_scope_reports_open_exactly_one_case(database_url, session, clock) -> None:
    from tests.factories import make_account

    account = await make_account(session)
    app_key = (await make_app(session, account_id=account.id)).id
    await session.commit()
    engine = create_engine(database_url)
    try:
        factory = session_factory(engine)
        async with factory() as first, factory() as second:
            await report(first, app_key, "k1", clock.now())  # opens the case; not committed yet
            racing = asyncio.create_task(report(second, app_key, "k2", clock.now()))
            await asyncio.sleep(1.0)
            assert not racing.done(), "the second report must wait for the first (the AppID's lock)"
            await first.commit()
            await racing
            await second.commit()
    finally:
        await engine.dispose()
    assert await automatic_cases(session) == 1
    assert await session.scalar(select(func.count()).select_from(UsageRecord)) == 2  # both kept


async def test_app3_the_automatic_case_takes_measures_like_any_other(client, principals, session, clock) -> None:
    app_key = (await make_app(session, account_id=principals.account_a.id)).id
    await session.commit()
    await report(session, app_key, "k1", clock.now())
    await report(session, app_key, "k2", clock.now())
    await session.commit()
    (case,) = (await session.execute(select(EnforcementCase))).scalars()
    assert case.source == CaseSource.AUTOMATIC and case.clauses == ["2.8"] and case.app_ids == [str(app_key)]
    case_gid = encode_id("EnforcementCase", case.id)
    await session.rollback()
    status = await status_of(client, principals.holder_a.headers)
    assert [c["source"] for c in status["openCases"]] == ["AUTOMATIC"]
    notice = await delivered_notice(session, case_gid, account_key=principals.account_a.id, at=clock.now())
    stopped = await apply(client, principals, case_gid, notice, "SUSPEND", apps=[encode_id("App", app_key)])
    assert stopped["userErrors"] == []
    forfeited = await apply(client, principals, case_gid, notice, "FORFEIT_PREPAYMENT")  # Art. 2.8: allowed
    assert forfeited["userErrors"] == [] and forfeited["measure"]["forfeited"] == "0.00"
