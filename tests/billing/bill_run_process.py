"""The bill run in a process of its own, as the sweep runs it (a commit after each chunk), for
tests/billing/test_bill_run_crash.py to kill:

    python -m tests.billing.bill_run_process DATABASE_URL CHUNK_ACCOUNTS PAUSE_AFTER

Prints "committed N" after the N-th chunk's commit; after chunk PAUSE_AFTER (0: never) it prints
"paused" and waits for its SIGKILL, so the test kills it at a known point between chunks."""

import asyncio
import sys
from datetime import UTC, date, datetime

from api.db import create_engine, session_factory
from services.billing.run import run_monthly_billing

PERIOD = date(2026, 8, 1)
NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


async def main(url: str, chunk_accounts: int, pause_after: int) -> None:
    engine = create_engine(url)
    committed = 0
    async with session_factory(engine)() as session:

        async def checkpoint() -> None:
            nonlocal committed
            await session.commit()
            committed += 1
            print(f"committed {committed}", flush=True)
            if committed == pause_after:
                print("paused", flush=True)
                await asyncio.Event().wait()

        result = await run_monthly_billing(
            session, period=PERIOD, ran_by="test:crash", now=NOW, chunk_accounts=chunk_accounts, checkpoint=checkpoint
        )
        await session.commit()
    await engine.dispose()
    print(f"finished {result.issued}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
