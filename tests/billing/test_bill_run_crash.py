"""BIL-1 / BIL-4: the bill run killed (SIGKILL) in the middle, in a real process against a real
database. What it committed is whole per account — bill, lines, email notice, ``bill.issued``
event and usage marks together; an account without a bill has none of them and its usage is
unmarked — the month counts as not run (the sweep runs it again), and the rerun completes it
with the same bills as a run that was never interrupted.

The run commits after each chunk of 3 accounts (tests/billing/bill_run_process.py); 12 accounts
make 4 chunks."""

import asyncio
import os
import signal
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy import func, select

from api.db import create_engine, session_factory
from models import Account, AccountEvent, Bill, BillLine, Notice, UsageRecord
from services.billing.run import has_run, run_monthly_billing
from tests.billing.bill_run_process import NOW, PERIOD
from tests.conftest import requires_postgres
from tests.databases import POSTGRES_URL, _asyncpg_dsn
from tests.factories import add_usage, make_app

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = 12
CHUNK = 3
AUGUST = datetime(2026, 8, 20, 4, 0, tzinfo=UTC)


async def _seed(url: str, ids: list[uuid.UUID]) -> None:
    """The same accounts (same ids) and usage in every database the test compares."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        for n, account_id in enumerate(ids):
            session.add(
                Account(
                    id=account_id,
                    holder_type="ENTERPRISE",
                    name=f"甲{n}",
                    contact_person="张三",
                    email=f"crash{n}@example.cn",
                    phone="13800138000",
                    address="深圳",
                )
            )
            app = await make_app(session, account_id=account_id)
            await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity=f"{n + 1}.5", at=AUGUST, commit=False)
            await add_usage(session, app, product="BANDWIDTH_GB", quantity=f"{10 * n + 3}", at=AUGUST, commit=False)
        await session.commit()
    await engine.dispose()


async def _bills(url: str) -> dict[uuid.UUID, tuple[int, int, int]]:
    """{account: (total in fen, lines, notices)} of the month."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        lines = select(func.count()).where(BillLine.bill_id == Bill.id).scalar_subquery()
        notices = select(func.count()).where(Notice.bill_id == Bill.id).scalar_subquery()
        rows = await session.execute(select(Bill.account_id, Bill.total_fen, lines, notices))
        found = {account: (total, n_lines, n_notices) for account, total, n_lines, n_notices in rows}
    await engine.dispose()
    return found


async def _assert_whole(url: str) -> set[uuid.UUID]:
    """Nothing half-applied; returns the billed accounts."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        bills = {b.account_id: b for b in (await session.execute(select(Bill))).scalars()}
        for account_id in (await session.execute(select(Account.id))).scalars():
            usage = (await session.execute(select(UsageRecord).where(UsageRecord.account_id == account_id))).scalars()
            marks = {u.bill_run_id for u in usage}
            events = await session.scalar(
                select(func.count()).where(AccountEvent.account_id == account_id, AccountEvent.type == "bill.issued")
            )
            bill = bills.get(account_id)
            if bill is None:
                assert marks == {None} and events == 0, account_id
                continue
            lines = await session.execute(select(BillLine.amount_fen).where(BillLine.bill_id == bill.id))
            amounts = lines.scalars().all()
            assert len(amounts) == 2 and sum(amounts) == bill.total_fen, account_id
            notices = await session.scalar(select(func.count()).where(Notice.bill_id == bill.id))
            assert (notices, events) == (1, 1) and None not in marks and len(marks) == 1, account_id
        month_done = await has_run(session, PERIOD)
    await engine.dispose()
    return set(bills) if not month_done else set(bills) | {"finished"}


async def _start(url: str, pause_after: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.billing.bill_run_process", url, str(CHUNK), str(pause_after)),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )


async def _until(process: asyncio.subprocess.Process, line: str) -> list[str]:
    seen = []
    while (got := (await process.stdout.readline()).decode().strip()) != line:
        assert got, f"the bill run ended before printing {line!r}: {seen}"
        seen.append(got)
    return seen


async def _rerun_and_compare(databases, url: str, ids: list[uuid.UUID]) -> None:
    process = await _start(url, pause_after=0)
    await _until(process, f"finished {ACCOUNTS - 2 * CHUNK}")  # the bills of the 2 chunks left
    assert await process.wait() == 0
    assert await _assert_whole(url) == set(ids) | {"finished"}

    uninterrupted = await databases.migrated()
    await _seed(uninterrupted, ids)
    engine = create_engine(uninterrupted)
    async with session_factory(engine)() as session:
        await run_monthly_billing(session, period=PERIOD, ran_by="test", now=NOW)
        await session.commit()
    await engine.dispose()
    assert await _bills(url) == await _bills(uninterrupted)


async def test_bil1_bil4_crash_between_chunks_leaves_whole_bills_and_the_rerun_completes(databases) -> None:
    url = await databases.migrated()
    ids = sorted(uuid.uuid4() for _ in range(ACCOUNTS))
    await _seed(url, ids)

    process = await _start(url, pause_after=2)
    await _until(process, "paused")
    process.send_signal(signal.SIGKILL)
    assert await process.wait() == -signal.SIGKILL

    assert await _assert_whole(url) == set(ids[: 2 * CHUNK])  # two chunks, no "finished"
    await _rerun_and_compare(databases, url, ids)


@requires_postgres
async def test_bil1_bil4_crash_inside_a_chunk_leaves_nothing_of_it_and_the_rerun_completes(databases) -> None:
    """Killed while its third chunk is written: its claim marks and its first bill are
    written, and the second bill's insert waits on a lock this test holds on that account."""
    url = await databases.migrated()
    ids = sorted(uuid.uuid4() for _ in range(ACCOUNTS))
    await _seed(url, ids)
    database = url.rsplit("/", 1)[1]
    blocker = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL, database))
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", ids[2 * CHUNK + 1])
        process = await _start(url, pause_after=0)
        await _until(process, "committed 2")
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'"
        for _ in range(600):  # another process's state: polled, up to 30 s
            if await blocker.fetchval(waiting, database):  # the run blocks in chunk 3's bill insert
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the bill run never reached the locked account")
        claimed = "SELECT count(*) FROM pg_locks WHERE relation = 'usage_records'::regclass AND granted"
        assert await blocker.fetchval(claimed) > 0  # chunk 3's claim is written, uncommitted
        os.kill(process.pid, signal.SIGKILL)
        assert await process.wait() == -signal.SIGKILL
        await transaction.rollback()
    finally:
        await blocker.close()

    assert await _assert_whole(url) == set(ids[: 2 * CHUNK])
    await _rerun_and_compare(databases, url, ids)
