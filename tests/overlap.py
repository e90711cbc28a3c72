"""Forcing two transactions to overlap without timing luck: hold one open inside its
transaction, start the other, then wait until the other has either finished or is seen
waiting for a lock (PostgreSQL's pg_stat_activity), never for a fixed time."""

import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services import jobs
from services.clock import FixedClock, bind_clock


async def held_sweep(app: Any, *, at) -> tuple[AsyncSession, dict[str, int]]:
    """The deadline sweep (the one runDueJobs and the scheduler run) at ``at``, in its own
    transaction on the app's own engine, left open: it keeps every lock it took (on SQLite the
    database's write lock) until the caller commits or rolls back the returned session."""
    clock = FixedClock(at)
    session = app.state.session_factory()
    bind_clock(session, clock)
    results = await jobs.run_due_jobs(session, mailer=app.state.mailer, clock=clock)
    return session, {r.job: r.changed for r in results}


async def release(session: AsyncSession, *waiting: asyncio.Future) -> None:
    """Commit a held transaction, then let whatever waited for it finish."""
    try:
        await session.commit()
    finally:
        await session.close()
        await asyncio.gather(*waiting, return_exceptions=True)


async def lock_waiters(probe: AsyncSession) -> int:
    """PostgreSQL: how many transactions of this database wait for a lock now."""
    count = await probe.scalar(
        text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
    )
    await probe.rollback()  # pg_stat_activity is a snapshot per transaction
    return int(count or 0)


async def finished_or_waiting(task: asyncio.Future, probe: AsyncSession) -> bool:
    """PostgreSQL: True once ``task`` has finished, False as soon as a transaction is seen
    waiting for a lock (the held one's, since nothing else runs). The bound is only a safety net
    against a hang, far above either outcome."""
    async with asyncio.timeout(60):
        while not task.done():
            if await lock_waiters(probe):
                return False
            await asyncio.sleep(0.01)
    return True
