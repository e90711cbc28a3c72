"""Bill run benchmark (issue 5): bills per second of the monthly bill run over 10,000 accounts with
30 usage records each, through Accord's run_monthly_billing (one aggregate query, discounts in
Python, bulk inserts of bills, lines and email notices, one transaction), next to one hand-written
INSERT … SELECT that computes the same totals.

    ACCORD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/billing.py [--accounts 10000] [--rows 30]

Creates and drops its own database. The usage covers August 2026 (Asia/Shanghai), cycles over the
six metered products (the continuing storage product, billed at its last level, is left out) and
crosses one list-price change in mid-month, so a product can be billed at two prices. Both runs
start from the same seeded data; Accord's bills are deleted before the INSERT … SELECT runs, and
the totals of both must agree per account (exit status 1 if not). Prints both figures and their
ratio (goal >= 0.5).
"""

import argparse
import asyncio
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
from scratch_db import migrated_database
from sqlalchemy.ext.asyncio import AsyncEngine
from uuid6 import uuid7

from api.db import create_engine, session_factory
from services.billing.run import month_bounds, run_monthly_billing

PERIOD = date(2026, 8, 1)
NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
METERED = [
    "RTC_AUDIO_MINUTES",
    "RTC_VIDEO_HD_MINUTES",
    "RTC_VIDEO_FHD_MINUTES",
    "CLOUD_RECORDING_MINUTES",
    "BANDWIDTH_GB",
    "TECH_SUPPORT_MONTH",
]
# A list-price change in force from 2026-08-16 00:00 Asia/Shanghai: August's bandwidth is billed at
# 80 fen per GB before it and at 72 after it.
PRICE_CHANGE = ("BANDWIDTH_GB", 72, datetime(2026, 8, 15, 16, 0, tzinfo=UTC))

# Per account: the usage of the month grouped by product and the list price in force when it
# occurred, each group rounded half-up to the fen (CONTRACT.md), then summed.
BASELINE = """
INSERT INTO bills (id, created_at, updated_at, account_id, period, state, total_fen, issued_at, paid_fen)
SELECT gen_random_uuid(), $3, $3, account_id, $4, 'ISSUED', sum(amount_fen), $3, 0
FROM (
    SELECT u.account_id, (sum(u.quantity_micros)::bigint * p.unit_price_fen + 500000) / 1000000 AS amount_fen
    FROM usage_records u
    JOIN (
        SELECT product_code, unit_price_fen, effective_from,
               lead(effective_from) OVER (PARTITION BY product_code ORDER BY effective_from) AS effective_until
        FROM list_prices
    ) p ON p.product_code = u.product_code
       AND u.occurred_at >= p.effective_from
       AND (p.effective_until IS NULL OR u.occurred_at < p.effective_until)
    WHERE u.occurred_at >= $1 AND u.occurred_at < $2
    GROUP BY u.account_id, u.product_code, p.unit_price_fen
) lines
GROUP BY account_id
ON CONFLICT (account_id, period) DO NOTHING
"""


async def seed(conn: asyncpg.Connection, accounts: int, rows: int) -> float:
    """accounts with one app each and ``rows`` usage records each, spread over the month."""
    rng = random.Random(5)  # noqa: S311  (reproducible figures, not a secret)
    created = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    start, end = month_bounds(PERIOD)
    span = int((end - start) / timedelta(microseconds=1))
    account_rows, app_rows, usage_rows = [], [], []
    for n in range(accounts):
        account_id, app_id = uuid7(), uuid7()
        account_rows.append(
            (
                *(account_id, created, created, "ENTERPRISE", f"bench {n}", "b", f"b{n}@x.cn", "13800138000", "a"),
                *("VERIFIED", "NORMAL", 0, 0, False),
            )
        )
        app_rows.append(
            (
                *(app_id, created, created, account_id, uuid.uuid4().hex, "直播", '["IOS"]', '["LIVE_STREAMING"]'),
                *("NORMAL", "0" * 64),
            )
        )
        for r in range(rows):
            occurred = start + timedelta(microseconds=rng.randrange(span))
            # Up to 100 units with 6 decimals, as integer millionths.
            quantity_micros = rng.randrange(1, 100_000_000)
            usage_rows.append(
                (
                    *(uuid7(), occurred, occurred, account_id, app_id, METERED[(n + r) % len(METERED)]),
                    *(quantity_micros, "IOS", "LIVE_STREAMING", occurred, f"bench-{n}-{r}", "0" * 64),
                    *(True, "bench:metering", occurred),
                )
            )
    started = time.perf_counter()
    async with conn.transaction():
        product, fen, effective_from = PRICE_CHANGE
        await conn.execute(
            "INSERT INTO list_prices (id, created_at, updated_at, product_code, unit_price_fen, effective_from)"
            " VALUES ($1, $2, $2, $3, $4, $5)",
            uuid7(),
            created,
            product,
            fen,
            effective_from,
        )
        await conn.copy_records_to_table(
            "accounts",
            records=account_rows,
            columns=[
                "id",
                "created_at",
                "updated_at",
                "holder_type",
                "name",
                "contact_person",
                "email",
                "phone",
                "address",
                "real_name_state",
                "standing",
                "balance_fen",
                "token_generation",
                "demo",
            ],
        )
        await conn.copy_records_to_table(
            "apps",
            records=app_rows,
            columns=[
                "id",
                "created_at",
                "updated_at",
                "account_id",
                "app_id",
                "name",
                "terminals",
                "scenarios",
                "standing",
                "secret_digest",
            ],
        )
        await conn.copy_records_to_table(
            "usage_records",
            records=usage_rows,
            columns=[
                "id",
                "created_at",
                "updated_at",
                "account_id",
                "app_id",
                "product_code",
                "quantity_micros",
                "terminal",
                "scenario",
                "occurred_at",
                "idempotency_key",
                "content_digest",
                "within_scope",
                "reported_by",
                "reported_at",
            ],
        )
    await conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


async def totals(conn: asyncpg.Connection) -> dict[uuid.UUID, int]:
    found = await conn.fetch("SELECT account_id, total_fen FROM bills WHERE period = $1", PERIOD)
    return {row["account_id"]: row["total_fen"] for row in found}


async def accord_run(engine: AsyncEngine) -> tuple[int, float]:
    factory = session_factory(engine)
    async with engine.connect() as conn:  # the pool's connection is open before the clock starts
        await conn.exec_driver_sql("SELECT 1")
    started = time.perf_counter()
    async with factory() as session, session.begin():
        result = await run_monthly_billing(session, period=PERIOD, ran_by="bench", now=NOW)
    elapsed = time.perf_counter() - started
    assert not result.held, result.unpriced
    return result.issued, elapsed


async def single_statement(conn: asyncpg.Connection) -> tuple[int, float]:
    start, end = month_bounds(PERIOD)
    started = time.perf_counter()
    status = await conn.execute(BASELINE, start, end, NOW, PERIOD)
    elapsed = time.perf_counter() - started
    return int(status.split()[-1]), elapsed


async def main(accounts: int, rows: int) -> None:
    async with migrated_database() as (url, raw_dsn):
        engine = create_engine(url)
        conn = await asyncpg.connect(raw_dsn)
        try:
            seeded = await seed(conn, accounts, rows)
            # The same warm cache for both runs: read the month's usage once before either.
            await conn.fetchval("SELECT sum(quantity_micros) FROM usage_records")

            issued, accord_elapsed = await accord_run(engine)
            await engine.dispose()
            assert issued == accounts, f"Accord issued {issued} bills for {accounts} accounts"
            accord_totals = await totals(conn)

            async with conn.transaction():
                await conn.execute("DELETE FROM notices WHERE bill_id IS NOT NULL")
                await conn.execute("DELETE FROM bill_lines")
                await conn.execute("DELETE FROM bills")
                await conn.execute("DELETE FROM bill_runs")
            await conn.execute("VACUUM ANALYZE bills")
            await conn.execute("VACUUM ANALYZE bill_lines")
            await conn.execute("VACUUM ANALYZE notices")

            inserted, raw_elapsed = await single_statement(conn)
            raw_totals = await totals(conn)
        finally:
            await conn.close()

        accord = issued / accord_elapsed
        raw = inserted / raw_elapsed
        differing = sum(
            1 for a in accord_totals.keys() | raw_totals.keys() if accord_totals.get(a) != raw_totals.get(a)
        )
        print(
            f"seed: {accounts} accounts, {accounts} apps, {accounts * rows} usage records ({rows} each),"
            f" loaded by COPY in {seeded:.1f} s"
        )
        print(
            f"accord bill run (bills, lines, notices, one transaction): {issued} bills in {accord_elapsed:6.2f} s"
            f" = {accord:8.1f} bills/s"
        )
        print(
            f"single INSERT … SELECT (bills only):                      {inserted} bills in {raw_elapsed:6.2f} s"
            f" = {raw:8.1f} bills/s"
        )
        print(f"ratio: {accord / raw:.2f} (goal >= 0.5)")
        if differing:
            print(f"totals DIFFER for {differing} of {len(accord_totals)} accounts")
            sys.exit(1)
        print(f"totals match for all {len(accord_totals)} accounts ({sum(accord_totals.values())} fen in all)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.accounts, args.rows))
