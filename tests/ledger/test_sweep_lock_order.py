"""The ledger's lock order (services/ledger/__init__.py) inside runDueJobs, where the whole sweep
is one transaction: the sweep must not hold a settled bill while it waits for an account,
because a credit holds its account and then writes that account's settled bills (PRE-4: the
unpaid principal it pays). tests/ledger/test_mixed_clients.py met this deadlock by chance; here
the interleaving is forced: the credit's side holds the account, the sweep queues behind it,
then the credit's side writes the settled bill."""

import asyncio
from datetime import date, timedelta

from sqlalchemy import update

from api.db import create_engine, session_factory
from models import Account, Bill, BillRun, BillState, Notice, NoticePurpose
from services import jobs
from services.batch import locked
from services.billing.bills import RECEIPT_GRACE
from services.clock import FixedClock
from services.mail import OutboxMailer
from services.notices import email_row
from tests.conftest import DEFAULT_NOW, requires_postgres
from tests.factories import make_account
from tests.ledger.test_ledger_concurrency import waiting_on_locks

pytestmark = requires_postgres


async def test_pre4_bil6_the_sweep_waits_for_an_account_holding_no_settled_bill(session, database_url, tmp_path):
    now = DEFAULT_NOW
    account = await make_account(session)
    owing = Bill(
        account_id=account.id,
        period=date(2026, 6, 1),
        state=BillState.SETTLED,
        total_fen=100_00,
        issued_at=now,
        delivered_at=now,
        dispute_deadline=now,
        settled_at=now,
    )
    due = Bill(
        account_id=account.id,
        period=date(2026, 7, 1),
        state=BillState.ISSUED,
        total_fen=200_00,
        issued_at=now,
        delivered_at=now - timedelta(days=3),
        dispute_deadline=now - RECEIPT_GRACE - timedelta(hours=1),
    )
    session.add_all([owing, due, BillRun(period=date(2026, 8, 1), ran_at=now, ran_by="test", issued=0, held=0)])
    await session.flush()
    # Its settlement's payment notice, queued: delivering it writes the bill's pay_by.
    notice = email_row(
        account_id=account.id,
        email=account.email,
        subject="付款通知",
        body="b",
        now=now,
        purpose=NoticePurpose.PAYMENT_DUE,
        bill_id=owing.id,
    )
    session.add(Notice(**notice))
    await session.commit()
    account_id, owing_id = account.id, owing.id

    engine = create_engine(database_url)
    try:
        factory = session_factory(engine)
        async with factory() as credit, factory() as sweeper:
            await locked(credit, Account, account_id)  # a credit in progress

            async def sweep() -> list[jobs.JobResult]:
                results = await jobs.run_due_jobs(sweeper, mailer=OutboxMailer(tmp_path), clock=FixedClock(now))
                await sweeper.commit()
                return results

            sweeping = asyncio.ensure_future(sweep())
            for _ in range(400):
                if await waiting_on_locks(session) >= 1:
                    break
                await asyncio.sleep(0.05)
            # The credit pays the owing bill's principal, under its account lock.
            await asyncio.wait_for(
                credit.execute(update(Bill).where(Bill.id == owing_id).values(paid_fen=100_00)), timeout=10
            )
            await credit.commit()
            done = {result.job: result.changed for result in await asyncio.wait_for(sweeping, timeout=30)}
    finally:
        await engine.dispose()
    assert (done["settle_bills"], done["deliver_payment_notices"]) == (1, 2)
