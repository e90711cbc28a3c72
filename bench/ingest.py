"""Usage ingestion benchmark (issue 15): records per second through `reportUsageBatch` on
`accord serve --workers 2`, next to a raw ``COPY`` of the same rows into the same table.

    ACCORD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/ingest.py [--records 40000] [--batch 1000] [--clients 4] [--before DIR]

Creates and drops its own database. The API side: a metering client's token, ``--clients``
concurrent HTTP clients each posting batches of ``--batch`` new records (bodies built before
the clock starts). The COPY side: the rows the API stored, read back, the table truncated, then
``COPY``'d in by asyncpg in one call. Goals: >= 10,000 records/s through the API and >= 0.3 of
COPY. ``--before DIR`` also serves the code in DIR (e.g. ``git archive main`` unpacked) on the same
database first, for a before/after in one run. ``--profile N`` instead profiles N calls of one
batch each in process (pyinstrument), to see where a call's time goes.
"""

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from scratch_db import migrated_database
from server import accord, client_token, serving

from api.db import create_engine, session_factory
from models import Account, App, HolderType

BATCH = (
    "mutation B($input: ReportUsageBatchInput!) { reportUsageBatch(input: $input) "
    "{ results { idempotencyKey accepted duplicate error { code } } userErrors { code } } }"
)


async def seed(url: str) -> str:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        account = Account(
            holder_type=HolderType.ENTERPRISE,
            name="bench",
            contact_person="b",
            email="b@x.cn",
            phone="13800138000",
            address="a",
        )
        session.add(account)
        await session.flush()
        app = App(
            account_id=account.id,
            app_id=uuid.uuid4().hex,
            name="bench",
            terminals=["IOS", "ANDROID"],
            scenarios=["LIVE_STREAMING"],
            secret_digest="0" * 64,
        )
        session.add(app)
        await session.commit()
        app_id = app.app_id
    await engine.dispose()
    return app_id


def bodies(app_id: str, records: int, batch: int) -> list[bytes]:
    start = datetime(2026, 9, 1, tzinfo=UTC)
    out = []
    for first in range(0, records, batch):
        rows = [
            {
                "app": app_id,
                "product": "RTC_VIDEO_HD_MINUTES",
                "quantity": f"{(n % 997) + 1}.{n % 1000:03d}",
                "terminal": "IOS" if n % 2 else "ANDROID",
                "scenario": "LIVE_STREAMING",
                "occurredAt": (start + timedelta(seconds=n)).isoformat(),
                "idempotencyKey": f"meter-{n:09d}",
            }
            for n in range(first, min(first + batch, records))
        ]
        out.append(json.dumps({"query": BATCH, "variables": {"input": {"records": rows}}}).encode())
    return out


async def through_api(base: str, token: str, work: list[bytes], clients: int) -> tuple[float, int]:
    queue = list(reversed(work))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    accepted = 0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal accepted
        while queue:
            body = queue.pop()
            answer = await http.post("/graphql", content=body, headers=headers)
            answer.raise_for_status()
            payload = answer.json()["data"]["reportUsageBatch"]
            assert not payload["userErrors"], payload["userErrors"]
            accepted += sum(r["accepted"] and not r["duplicate"] for r in payload["results"])

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return elapsed, accepted


async def forget_usage(raw_dsn: str) -> None:
    conn = await asyncpg.connect(raw_dsn)
    try:
        await conn.execute("TRUNCATE usage_records")
    finally:
        await conn.close()


async def copy_same_rows(raw_dsn: str) -> tuple[float, int]:
    conn = await asyncpg.connect(raw_dsn)
    try:
        columns = [
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'usage_records' ORDER BY ordinal_position"
            )
        ]
        rows = [tuple(r) for r in await conn.fetch(f"SELECT {', '.join(columns)} FROM usage_records")]
        await conn.execute("TRUNCATE usage_records")
        started = time.perf_counter()
        await conn.copy_records_to_table("usage_records", records=rows, columns=columns)
        elapsed = time.perf_counter() - started
        assert await conn.fetchval("SELECT count(*) FROM usage_records") == len(rows)
    finally:
        await conn.close()
    return elapsed, len(rows)


async def main(records: int, batch: int, clients: int, before: str | None) -> None:
    async with migrated_database() as (url, raw_dsn):
        app_id = await seed(url)
        work = bodies(app_id, records, batch)
        before_rate = None
        if before:
            with serving(url, workers=2, source=before) as base:
                token = client_token(base, url)
                before_seconds, accepted = await through_api(base, token, work, clients)
            assert accepted == records, (accepted, records)
            before_rate = records / before_seconds
            await forget_usage(raw_dsn)
        with serving(url, workers=2) as base:
            token = client_token(base, url)
            api_seconds, accepted = await through_api(base, token, work, clients)
        assert accepted == records, (accepted, records)
        copy_seconds, copied = await copy_same_rows(raw_dsn)
        api_rate, copy_rate = records / api_seconds, copied / copy_seconds
        print(f"records={records} batch={batch} clients={clients} (accord serve --workers 2, PostgreSQL)")
        if before_rate is not None:
            print(f"before ({before}):{before_rate:9.0f} records/s  ratio to COPY {before_rate / copy_rate:.2f}")
        print(f"reportUsageBatch through HTTP: {api_rate:9.0f} records/s ({api_seconds:.2f} s)  goal >= 10000")
        print(f"COPY of the same rows:         {copy_rate:9.0f} records/s ({copy_seconds:.2f} s)")
        print(f"ratio: {api_rate / copy_rate:.2f} (goal >= 0.3)")


async def profile(batch: int, runs: int) -> None:
    from pyinstrument import Profiler

    from api.app import create_app
    from api.settings import Settings

    async with migrated_database() as (url, _raw_dsn):
        app_id = await seed(url)
        work = bodies(app_id, batch * (runs + 3), batch)
        application = create_app(Settings(database_url=url, sweep_seconds=0, issuer="http://127.0.0.1:8000"))
        async with application.router.lifespan_context(application):
            out = accord(url, "clients", "create-metering", "--name", "bench profile")
            fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
                answer = await client.post(
                    "/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(fields["client_id"], fields["client_secret"]),
                )
                headers = {
                    "Authorization": f"Bearer {answer.json()['access_token']}",
                    "Content-Type": "application/json",
                }
                for body in work[:3]:  # warm: prepared statements, caches
                    (await client.post("/graphql", content=body, headers=headers)).raise_for_status()
                profiler = Profiler(interval=0.0005)
                profiler.start()
                began = time.perf_counter()
                for body in work[3:]:
                    (await client.post("/graphql", content=body, headers=headers)).raise_for_status()
                elapsed = time.perf_counter() - began
                profiler.stop()
    print(profiler.output_text(unicode=False))
    print(f"{runs} calls of {batch} records in process: {elapsed / runs * 1000:.1f} ms each")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=40_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--before", help="a checkout of the code to compare with (its directory)")
    parser.add_argument("--profile", type=int, metavar="N", help="profile N calls in process instead")
    args = parser.parse_args()
    if args.profile:
        asyncio.run(profile(args.batch, args.profile))
    else:
        asyncio.run(main(args.records, args.batch, args.clients, args.before))
