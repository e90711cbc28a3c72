"""Console dashboard benchmark (issue 15): the holder's first screen through `accord serve
--workers 2`, next to a hand-written Starlette endpoint (bench/handwritten.py: the same JSON
from the same database with hand-written SQL, same worker count), each driven from a separate
load process at fixed concurrency for a fixed time.

    ACCORD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/console.py [--accounts 1000] [--concurrency 16] [--seconds 10]
            [--before DIR]   # also measure the code in DIR (e.g. `git archive main` unpacked)

Seeds PostgreSQL in SQL: ``--accounts`` accounts (1,000 by default; CI runs 3), each with 20
apps, 24 delivered bills of 10 lines and 200 ledger entries. Prints requests/s, p50 and p99
of both and the ratios. Goals: Accord >= 40 % of the hand-written throughput, p99 < 3x its p99.
``--profile N`` instead runs the query N times in process under pyinstrument and prints where
the time goes.
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
from load import drive
from scratch_db import migrated_database
from server import ROOT, free_port, serving

from api.db import create_engine, session_factory
from auth.principal import HOLDER_SCOPES
from auth.tokens import TokenSubject, mint

DASHBOARD = """
query Dashboard {
  viewer { kind permissions }
  account {
    id holderType standing
    profile { name contactPerson email phone address }
    balance
    paymentStanding { arrears accruedPenalties daysOverdue eligibleForTermination }
    apps(first: 20) { edges { node { id appId name terminals scenarios standing } } }
    bills(first: 12) { edges { node { id period state total paid payBy
                                       lines { product quantity unitPrice discount amount } } } }
    ledger(first: 20) { edges { node { id kind amount balanceAfter createdAt } } }
  }
  enforcementStatus { standing terminationEligible dataDeletionEligible
                      measures { id kind reason effectiveAt } openCases { id source openedAt }
                      nextDeadlines { what due rule } }
}
"""

SEED = [
    # accounts, one holder each
    """INSERT INTO accounts (id, created_at, updated_at, holder_type, name, contact_person, email, phone, address,
                             real_name_state, standing, balance_fen, token_generation, demo)
       SELECT gen_random_uuid(), now(), now(), 'ENTERPRISE', '公司' || n, '联系人', 'c' || n || '@x.cn',
              '13800138000', '深圳', 'VERIFIED', 'NORMAL', 100000, 0, false
       FROM generate_series(1, $1) n""",
    """INSERT INTO users (id, created_at, updated_at, account_id, kind, login, password_hash, staff_roles,
                          permissions, disabled, token_generation, demo)
       SELECT gen_random_uuid(), now(), now(), id, 'HOLDER', 'h-' || id || '@x.cn', 'x', '[]', '[]', false, 0, false
       FROM accounts""",
    """INSERT INTO apps (id, created_at, updated_at, account_id, app_id, name, terminals, scenarios, standing,
                         secret_digest)
       SELECT gen_random_uuid(), now(), now(), a.id, md5(a.id::text || n), 'app' || n, '["IOS","WEB"]',
              '["LIVE_STREAMING"]', 'NORMAL', repeat('0', 64)
       FROM accounts a, generate_series(1, 20) n""",
    """INSERT INTO bills (id, created_at, updated_at, account_id, period, state, total_fen, issued_at, delivered_at,
                          dispute_deadline, paid_fen, settled_at)
       SELECT gen_random_uuid(), now(), now(), a.id, date '2024-01-01' + make_interval(months => n - 1),
              'SETTLED', 10000, now(), now(), now(), 10000, now()
       FROM accounts a, generate_series(1, 24) n""",
    """INSERT INTO bill_lines (id, created_at, updated_at, bill_id, kind, product_code, quantity_micros,
                               unit_price_fen, discount_fen, amount_fen, service_period)
       SELECT gen_random_uuid(), now(), now(), b.id, 'USAGE', p.code, 1000000 * n, 100, 0, 100 * n, b.period
       FROM bills b, generate_series(1, 10) n, (SELECT code FROM products ORDER BY code LIMIT 1) p""",
    """INSERT INTO ledger_entries (id, created_at, updated_at, account_id, kind, amount_fen, balance_after_fen, at)
       SELECT gen_random_uuid(), now(), now(), a.id, 'TOP_UP', 500, 500 * n, now()
       FROM accounts a, generate_series(1, 200) n""",
    "ANALYZE",
]


async def seed(raw_dsn: str, accounts: int) -> uuid.UUID:
    conn = await asyncpg.connect(raw_dsn)
    try:
        for statement in SEED:
            await (conn.execute(statement, accounts) if "$1" in statement else conn.execute(statement))
        return await conn.fetchval("SELECT id FROM accounts ORDER BY id LIMIT 1")
    finally:
        await conn.close()


async def holder_token(url: str, raw_dsn: str, account_id: uuid.UUID, issuer: str) -> str:
    conn = await asyncpg.connect(raw_dsn)
    user_id = await conn.fetchval("SELECT id FROM users WHERE account_id = $1", account_id)
    await conn.close()
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        subject = TokenSubject(
            sub=str(user_id),
            kind="HOLDER",
            client_id="console",
            scope=" ".join(sorted(HOLDER_SCOPES)),
            account_id=account_id,
            user_generation=0,
            account_generation=0,
        )
        token, _ = await mint(session, issuer=issuer, now=datetime.now(UTC), subject=subject)
        await session.commit()
    await engine.dispose()
    return token


def handwritten(raw_dsn: str, workers: int):
    port = free_port()
    env = os.environ | {"ACCORD_BENCH_DSN": raw_dsn, "PYTHONPATH": str(ROOT / "bench")}
    uvicorn = [sys.executable, "-m", "uvicorn", "--factory", "handwritten:create_app", "--no-access-log"]
    process = subprocess.Popen(  # noqa: S603 - our own bench app
        [*uvicorn, "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        env=env,
        cwd=ROOT / "bench",
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not start")


async def main(accounts: int, concurrency: int, seconds: float, before: str | None = None) -> None:
    async with migrated_database() as (url, raw_dsn):
        started = time.perf_counter()
        account_id = await seed(raw_dsn, accounts)
        print(
            f"seeded {accounts} accounts x (20 apps, 24 bills x 10 lines, 200 entries) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        accord = await measure(url, raw_dsn, account_id, None, concurrency, seconds)
        earlier = await measure(url, raw_dsn, account_id, before, concurrency, seconds) if before else None
        process, hand_base = handwritten(raw_dsn, 2)
        try:
            wait_up(f"{hand_base}/dashboard/{account_id}")
            drive(f"{hand_base}/dashboard/{account_id}", concurrency=concurrency, seconds=1)  # warm up
            hand = drive(f"{hand_base}/dashboard/{account_id}", concurrency=concurrency, seconds=seconds)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    print(f"PostgreSQL, 2 workers each, {concurrency} connections, {seconds:g} s each")
    print(accord.line("Accord dashboard query"))
    print(hand.line("hand-written endpoint"))
    print(f"throughput ratio: {accord.rps / hand.rps:.2f} (goal >= 0.40)")
    print(f"p99 ratio: {accord.p99_ms / hand.p99_ms:.2f} (goal < 3)")
    if earlier is not None:
        print(earlier.line(f"before ({before})"))
        print(f"before: throughput ratio {earlier.rps / hand.rps:.2f}, p99 ratio {earlier.p99_ms / hand.p99_ms:.2f}")


async def measure(url: str, raw_dsn: str, account_id: uuid.UUID, source: str | None, concurrency: int, seconds: float):
    """The dashboard through `accord serve --workers 2` running this checkout, or ``source``."""
    body = json.dumps({"query": DASHBOARD}).encode()
    with serving(url, workers=2, source=source) as base:
        token = await holder_token(url, raw_dsn, account_id, base)
        auth = {"Authorization": f"Bearer {token}"}
        json_auth = auth | {"Content-Type": "application/json"}
        check = httpx.post(f"{base}/graphql", content=body, headers=json_auth)  # noqa: ASYNC210 - nothing else runs
        answer = check.json()
        assert "errors" not in answer and len(answer["data"]["account"]["bills"]["edges"]) == 12, answer
        drive(f"{base}/graphql", body=body, headers=auth, concurrency=concurrency, seconds=1)  # warm up
        return drive(f"{base}/graphql", body=body, headers=auth, concurrency=concurrency, seconds=seconds)


async def profile(accounts: int, runs: int) -> None:
    from pyinstrument import Profiler

    from api.app import create_app
    from api.settings import Settings

    async with migrated_database() as (url, raw_dsn):
        account_id = await seed(raw_dsn, accounts)
        application = create_app(Settings(database_url=url, sweep_seconds=0))
        async with application.router.lifespan_context(application):
            token = await holder_token(url, raw_dsn, account_id, "http://127.0.0.1:8000")
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
                headers = {"Authorization": f"Bearer {token}"}
                for _ in range(5):
                    await client.post("/graphql", json={"query": DASHBOARD}, headers=headers)
                profiler = Profiler(async_mode="enabled")
                profiler.start()
                began = time.perf_counter()
                for _ in range(runs):
                    await client.post("/graphql", json={"query": DASHBOARD}, headers=headers)
                elapsed = time.perf_counter() - began
                profiler.stop()
    print(profiler.output_text(unicode=False))
    print(f"{runs} dashboard queries in process: {elapsed / runs * 1000:.1f} ms each")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--profile", type=int, metavar="N", help="profile N queries in process instead")
    parser.add_argument("--before", help="also measure the code in this directory (e.g. `git archive main`)")
    args = parser.parse_args()
    if args.profile:
        asyncio.run(profile(args.accounts, args.profile))
    else:
        asyncio.run(main(args.accounts, args.concurrency, args.seconds, args.before))
