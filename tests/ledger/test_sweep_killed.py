"""Issue 15: a sweep killed (SIGKILL) in the middle of its work leaves nothing half-applied, and
the next sweep completes it. A real `accord jobs run --once` process on PostgreSQL, with work
due: bills whose dispute window has closed (deemed accepted and settled, BIL-5 / BIL-6) and
settled bills past due (penalty days to accrue, PRE-4).

Where it stops is deterministic, with no hook in the code: the test holds one account's row
lock (as a confirmation in progress would), so the sweep, which settles bills in account order,
settles the ones before it inside its transaction and then waits for that account. Its other
locks show how far it got; then it is killed, the lock released, and its orphaned database
session ends without a commit."""

import asyncio
import os
import signal
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from api.db import create_engine, session_factory
from models import Account, Bill, BillRun, BillState, HolderType, LedgerEntry, LedgerKind
from services.batch import locked
from services.billing.bills import RECEIPT_GRACE
from services.clock import local_date
from tests.conftest import requires_postgres

pytestmark = requires_postgres

ACCORD = str(Path(sys.executable).parent / "accord")
ACCOUNTS = 40
STOP_AT = 25  # the account (in settlement order) whose lock the test holds
DUE = date(2026, 10, 1)  # the month whose bills wait for the sweep
OWED = date(2026, 9, 1)  # the month settled earlier and unpaid (penalties accrue)
TOTAL_FEN = 2000_00
ARREARS_FEN = 100_00


async def seed(session, now: datetime) -> list[uuid.UUID]:
    """Accounts with money in the ledger (some enough for the bill, some not), a bill each
    whose window closed a day ago, and every third one last month's unpaid principal, 10 days
    past due. The previous month counts as billed (the bill run is not this test's subject)."""
    ids = []
    for i in range(ACCOUNTS):
        balance = 5000_00 if i % 2 else 500_00 + i
        account = Account(
            holder_type=HolderType.ENTERPRISE,
            name=f"公司{i}",
            contact_person="张三",
            email=f"a{i}@example.cn",
            phone="13800138000",
            address="深圳",
            balance_fen=balance,
        )
        session.add(account)
        await session.flush()
        session.add(
            LedgerEntry(
                account_id=account.id,
                kind=LedgerKind.TOP_UP,
                amount_fen=balance,
                balance_after_fen=balance,
                reference="seed",
                at=now - timedelta(days=20),
            )
        )
        session.add(
            Bill(
                account_id=account.id,
                period=DUE,
                state=BillState.ISSUED,
                total_fen=TOTAL_FEN,
                issued_at=now - timedelta(days=5),
                delivered_at=now - timedelta(days=5),
                dispute_deadline=now - RECEIPT_GRACE - timedelta(days=1),
            )
        )
        if i % 3 == 0:
            settled = now - timedelta(days=15)
            session.add(
                Bill(
                    account_id=account.id,
                    period=OWED,
                    state=BillState.SETTLED,
                    total_fen=ARREARS_FEN,
                    paid_fen=0,
                    issued_at=settled,
                    delivered_at=settled,
                    dispute_deadline=settled,
                    confirmed_at=settled,
                    settled_at=settled,
                    pay_by=now - timedelta(days=10),
                    shortfall_closed_at=settled,
                )
            )
        ids.append(account.id)
    month = local_date(now).replace(day=1)
    previous = (month - timedelta(days=1)).replace(day=1)
    session.add(BillRun(period=previous, ran_at=now, ran_by="test", issued=0, held=0))
    await session.commit()
    return sorted(ids)


async def waiting_backend(session) -> int | None:
    """The sweep's database session once it waits for a row lock."""
    pid = await session.scalar(
        text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND query LIKE '%FROM accounts%'"
        )
    )
    await session.rollback()  # pg_stat_activity is read once per transaction
    return pid


async def locked_elsewhere(session, ids: list[uuid.UUID]) -> int:
    """How many of the accounts another transaction holds (those SKIP LOCKED passes over)."""
    free = await session.execute(
        select(Account.id).where(Account.id.in_(ids)).with_for_update(key_share=True, skip_locked=True)
    )
    count = len(ids) - len(free.all())
    await session.rollback()
    return count


async def gone(session, pid: int) -> bool:
    found = await session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid})
    await session.rollback()
    return found == 0


async def ledger(session) -> dict:
    """Everything a sweep could change, in a form to compare."""
    await session.rollback()
    entries = (await session.execute(select(LedgerEntry.account_id, LedgerEntry.kind, LedgerEntry.amount_fen))).all()
    bills = (await session.execute(select(Bill.account_id, Bill.period, Bill.state, Bill.paid_fen))).all()
    accruals = await session.scalar(text("SELECT count(*) FROM penalty_accruals"))
    notices = await session.scalar(text("SELECT count(*) FROM notices"))
    balances = (await session.execute(select(Account.id, Account.balance_fen))).all()
    return {
        "entries": sorted(map(tuple, entries)),
        "bills": sorted(map(tuple, bills)),
        "accruals": accruals,
        "notices": notices,
        "balances": sorted(map(tuple, balances)),
    }


async def balances_are_their_ledgers(session) -> None:
    mismatched = await session.execute(
        text(
            "SELECT a.id FROM accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id GROUP BY a.id"
            " HAVING a.balance_fen <> coalesce(sum(e.amount_fen), 0) OR a.balance_fen < 0"
        )
    )
    assert mismatched.all() == []


async def sweep_to_the_end(env: dict) -> str:
    sweeper = await asyncio.create_subprocess_exec(
        ACCORD, "jobs", "run", "--once", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output = (await asyncio.wait_for(sweeper.communicate(), 120))[0].decode()
    assert sweeper.returncode == 0, output
    return output


async def test_bil6_pre4_sigkill_mid_sweep_leaves_nothing_half_applied(session, database_url, tmp_path) -> None:
    now = datetime.now(UTC)  # `accord jobs run` reads the system clock
    ids = await seed(session, now)
    before = await ledger(session)
    env = os.environ | {
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_ENV": "test",
        "ACCORD_OUTBOX_DIR": str(tmp_path / "mail"),
    }
    holder_engine = create_engine(database_url)
    try:
        async with session_factory(holder_engine)() as holder:
            await locked(holder, Account, ids[STOP_AT])  # held until the rollback below
            sweeper = await asyncio.create_subprocess_exec(
                ACCORD,
                "jobs",
                "run",
                "--once",
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            try:
                for _ in range(1200):
                    if (pid := await waiting_backend(session)) is not None:
                        break
                    assert sweeper.returncode is None, (await sweeper.stdout.read()).decode()
                    await asyncio.sleep(0.05)
                else:
                    pytest.fail("the sweep never reached the held account")
                # The sweep holds the accounts it settled (all before ours), and waits for ours.
                assert await locked_elsewhere(session, ids) == STOP_AT + 1
            finally:
                sweeper.send_signal(signal.SIGKILL)
                await sweeper.wait()
            assert sweeper.returncode == -signal.SIGKILL
            await holder.rollback()
    finally:
        await holder_engine.dispose()
    # The orphaned session gets its lock, finds its client gone, and rolls back.
    for _ in range(600):
        if await gone(session, pid):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the killed sweep's database session never ended")

    assert await ledger(session) == before  # not one bill, entry, accrual or notice of it stayed

    output = await sweep_to_the_end(env)
    assert f"deem_bills_accepted: {ACCOUNTS}" in output and f"settle_bills: {ACCOUNTS}" in output, output

    await session.rollback()
    await balances_are_their_ledgers(session)
    balance_before = dict(before["balances"])
    for bill in (await session.execute(select(Bill).where(Bill.period == DUE))).scalars():
        assert bill.state == BillState.SETTLED and bill.settled_at is not None
        deductions = (
            await session.execute(
                select(LedgerEntry.amount_fen).where(
                    LedgerEntry.account_id == bill.account_id, LedgerEntry.kind == LedgerKind.BILL_DEDUCTION
                )
            )
        ).scalars()
        # BIL-6: one deduction, of what the balance covered, and the bill says the same.
        assert list(deductions) == [-min(TOTAL_FEN, balance_before[bill.account_id])]
        assert bill.paid_fen == min(TOTAL_FEN, balance_before[bill.account_id])
    # PRE-4: each day past due accrued once per owing bill, through today.
    for bill in (await session.execute(select(Bill).where(Bill.period == OWED))).scalars():
        days = (bill.accrued_through - local_date(bill.pay_by)).days
        assert days >= 10
        count = await session.scalar(text("SELECT count(*) FROM penalty_accruals WHERE bill_id = :b"), {"b": bill.id})
        assert count == days, (count, days)
    assert await session.scalar(select(func.count()).select_from(Bill).where(Bill.period == OWED)) == 14

    # A further sweep finds nothing left to do.
    after = await ledger(session)
    assert "settle_bills: 0" in await sweep_to_the_end(env)
    again = await ledger(session)
    assert (again["entries"], again["bills"], again["accruals"]) == (
        after["entries"],
        after["bills"],
        after["accruals"],
    )
