"""Bill run benchmark (issue 15): Accord's monthly bill run next to a fair hand-written baseline,
and how its time and memory grow with the number of accounts.

    ACCORD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/billing.py [--accounts 10000] [--rows 30]
    ... bench/billing.py --scale [--sizes 10000,100000,300000] [--rows 30]

Each size gets its own database (created and dropped), seeded by COPY: accounts with one app and
``--rows`` usage records each in August 2026 (Asia/Shanghai), cycling over the six metered
products and crossing a list-price change in mid-month (bench/billing_seed.py).

Accord's run is ``run_monthly_billing`` as the sweep runs it (chunks of accounts, a commit after
each), in a child process whose wall time and peak RSS (``ru_maxrss`` from ``wait4``) are printed.

Default mode: then its writes are undone and bench/billing_baseline.py writes the same rows with
set-based SQL in one transaction. Both results are compared per account — total, line count,
notice count and text, event total, usage marks — and the bill-run rows; exit status 1 if they
differ. Prints both figures and their ratio (goal >= 0.5).

--scale: Accord's run only, at each size: seconds, microseconds per account (flat = linear) and
peak RSS (bounded = chunked).
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import asyncpg
from billing_baseline import run as baseline_run
from billing_seed import PERIOD, seed
from scratch_db import migrated_database

NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
# One row per billed account: what both runs must agree on.
RESULT = """
CREATE TABLE {name} AS
SELECT b.account_id, b.total_fen,
       (SELECT count(*) FROM bill_lines l WHERE l.bill_id = b.id) AS lines,
       (SELECT count(*) FROM notices n WHERE n.bill_id = b.id) AS notices,
       (SELECT string_agg(n.subject || n.body || n.email_to || n.purpose, '|') FROM notices n WHERE n.bill_id = b.id)
           AS notice_text,
       (SELECT string_agg(e.data::jsonb ->> 'total', '|') FROM account_events e
         WHERE e.account_id = b.account_id AND e.type = 'bill.issued') AS events,
       (SELECT count(*) FROM usage_records u WHERE u.account_id = b.account_id AND u.bill_run_id IS NOT NULL)
           AS marked
FROM bills b WHERE b.period = $1
"""
DIFFERING = """
SELECT count(*) FROM accord_result a FULL JOIN baseline_result b USING (account_id)
WHERE (a.total_fen, a.lines, a.notices, a.notice_text, a.events, a.marked)
      IS DISTINCT FROM (b.total_fen, b.lines, b.notices, b.notice_text, b.events, b.marked)
"""
RUN_ROW = "SELECT count(*), sum(issued), count(finished_at) FROM bill_runs"
UNDO = [
    "DELETE FROM account_events WHERE type = 'bill.issued'",
    "DELETE FROM notices WHERE bill_id IS NOT NULL",
    "DELETE FROM bill_lines",
    "DELETE FROM bills",
    "UPDATE usage_records SET bill_run_id = NULL WHERE bill_run_id IS NOT NULL",
    "DELETE FROM bill_runs",
]


async def child(url: str) -> None:
    """The bill run as the sweep runs it; prints {"issued", "seconds"} as JSON."""
    from api.db import create_engine, session_factory
    from services.billing.run import run_monthly_billing

    engine = create_engine(url)
    async with engine.connect() as conn:  # the pool's connection is open before the clock starts
        await conn.exec_driver_sql("SELECT 1")
    started = time.perf_counter()
    async with session_factory(engine)() as session:
        result = await run_monthly_billing(session, period=PERIOD, ran_by="bench", now=NOW, checkpoint=session.commit)
        await session.commit()
    elapsed = time.perf_counter() - started
    await engine.dispose()
    assert not result.held, result.unpriced
    print(json.dumps({"issued": result.issued, "seconds": elapsed}))


def accord_run(url: str) -> tuple[int, float, int]:
    """(bills issued, seconds, peak RSS in KiB) of the bill run in a child process."""
    process = subprocess.Popen(  # noqa: S603  (our own interpreter and script)
        [sys.executable, __file__, "--child", url], stdout=subprocess.PIPE, text=True
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"the bill run failed (exit {process.returncode})")
    found = json.loads(output.strip().splitlines()[-1])
    return found["issued"], found["seconds"], usage.ru_maxrss


async def compare(accounts: int, rows: int) -> None:
    async with migrated_database() as (url, raw_dsn):
        conn = await asyncpg.connect(raw_dsn)
        try:
            seeded = await seed(conn, accounts, rows)
            issued, accord_elapsed, rss = accord_run(url)
            await conn.execute(RESULT.format(name="accord_result"), PERIOD)
            accord_runs = await conn.fetchrow(RUN_ROW)
            async with conn.transaction():
                for statement in UNDO:
                    await conn.execute(statement)
            await conn.execute("VACUUM ANALYZE")
            inserted, raw_elapsed = await baseline_run(conn, PERIOD, NOW)
            await conn.execute(RESULT.format(name="baseline_result"), PERIOD)
            baseline_runs = await conn.fetchrow(RUN_ROW)
            differing = await conn.fetchval(DIFFERING)
            summary = await conn.fetchrow(
                "SELECT count(*), sum(total_fen), sum(lines)::bigint, sum(notices)::bigint, sum(marked)::bigint"
                " FROM accord_result"
            )
        finally:
            await conn.close()

    print(f"seed: {accounts} accounts × {rows} usage records, loaded by COPY in {seeded:.1f} s")
    print(
        f"accord bill run (sweep: chunks, a commit each):  {issued} bills in {accord_elapsed:6.2f} s"
        f" = {issued / accord_elapsed:8.1f} bills/s, peak RSS {rss / 1024:.0f} MiB"
    )
    print(
        f"hand-written SQL (same rows, one transaction):   {inserted} bills in {raw_elapsed:6.2f} s"
        f" = {inserted / raw_elapsed:8.1f} bills/s"
    )
    print(f"ratio: {(issued / accord_elapsed) / (inserted / raw_elapsed):.2f} (goal >= 0.5)")
    bills, fen, lines, notices, marked = summary
    print(f"accord wrote {bills} bills ({fen} fen), {lines} lines, {notices} notices, {marked} usage marks")
    ok = differing == 0 and issued == inserted == accounts
    ok = ok and tuple(accord_runs) == tuple(baseline_runs) == (1, accounts, 1)
    if not ok:
        print(f"results DIFFER: {differing} accounts; bill runs {tuple(accord_runs)} vs {tuple(baseline_runs)}")
        sys.exit(1)
    print("both runs agree per account: total, lines, notice text, event, usage marks; one finished run each")


async def scale(sizes: list[int], rows: int) -> None:
    print(f"{'accounts':>9} {'usage rows':>11} {'seed s':>7} {'run s':>7} {'µs/account':>11} {'peak RSS':>9}")
    for accounts in sizes:
        async with migrated_database() as (url, raw_dsn):
            conn = await asyncpg.connect(raw_dsn)
            try:
                seeded = await seed(conn, accounts, rows)
            finally:
                await conn.close()
            issued, elapsed, rss = accord_run(url)
        assert issued == accounts, f"issued {issued} bills for {accounts} accounts"
        print(
            f"{accounts:>9} {accounts * rows:>11} {seeded:>7.1f} {elapsed:>7.2f} {elapsed / accounts * 1e6:>11.1f}"
            f" {rss / 1024:>5.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--scale", action="store_true", help="Accord's run at each of --sizes")
    parser.add_argument("--sizes", default="10000,100000,300000")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child))
    elif args.scale:
        asyncio.run(scale([int(size) for size in args.sizes.split(",")], args.rows))
    else:
        asyncio.run(compare(args.accounts, args.rows))
