"""Seeding for bench/billing.py: accounts with one app each and ``rows`` usage records each in
August 2026, loaded by COPY from generators (a batch of accounts at a time, so seeding 300,000
accounts × 30 records does not hold nine million tuples in memory)."""

import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
from uuid6 import uuid7

from services.billing.pricing import month_bounds

PERIOD = date(2026, 8, 1)
METERED = [
    "RTC_AUDIO_MINUTES",
    "RTC_VIDEO_HD_MINUTES",
    "RTC_VIDEO_FHD_MINUTES",
    "CLOUD_RECORDING_MINUTES",
    "BANDWIDTH_GB",
    "TECH_SUPPORT_MONTH",
]
# A list-price change in force from 2026-08-16 00:00 Asia/Shanghai: August's bandwidth is billed at
# 80 fen per GB before it and at 72 after it, so a product can be billed at two prices.
PRICE_CHANGE = ("BANDWIDTH_GB", 72, datetime(2026, 8, 15, 16, 0, tzinfo=UTC))
BATCH = 10_000  # accounts per COPY
CREATED = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
ACCOUNT_COLUMNS = [
    *("id", "created_at", "updated_at", "holder_type", "name", "contact_person", "email", "phone", "address"),
    *("real_name_state", "standing", "balance_fen", "token_generation", "demo"),
]
APP_COLUMNS = [
    *("id", "created_at", "updated_at", "account_id", "app_id", "name", "terminals", "scenarios", "standing"),
    "secret_digest",
]
USAGE_COLUMNS = [
    *("id", "created_at", "updated_at", "account_id", "app_id", "product_code", "quantity_micros", "terminal"),
    *("scenario", "occurred_at", "idempotency_key", "content_digest", "within_scope", "reported_by", "reported_at"),
]


def _usage(rng: random.Random, n: int, account_id: uuid.UUID, app_id: uuid.UUID, rows: int) -> Iterator[tuple]:
    start, end = month_bounds(PERIOD)
    span = int((end - start) / timedelta(microseconds=1))
    for r in range(rows):
        occurred = start + timedelta(microseconds=rng.randrange(span))
        quantity_micros = rng.randrange(1, 100_000_000)  # up to 100 units with 6 decimals
        yield (
            *(uuid7(), occurred, occurred, account_id, app_id, METERED[(n + r) % len(METERED)], quantity_micros),
            *("IOS", "LIVE_STREAMING", occurred, f"bench-{n}-{r}", "0" * 64, True, "bench:metering", occurred),
        )


async def seed(conn: asyncpg.Connection, accounts: int, rows: int) -> float:
    """Seconds to load it all (one transaction, then VACUUM ANALYZE)."""
    rng = random.Random(5)  # noqa: S311  (reproducible figures, not a secret)
    started = time.perf_counter()
    async with conn.transaction():
        product, fen, effective_from = PRICE_CHANGE
        await conn.execute(
            "INSERT INTO list_prices (id, created_at, updated_at, product_code, unit_price_fen, effective_from)"
            " VALUES ($1, $2, $2, $3, $4, $5)",
            *(uuid7(), CREATED, product, fen, effective_from),
        )
        for first in range(0, accounts, BATCH):
            account_rows, app_rows, usage_rows = [], [], []
            for n in range(first, min(first + BATCH, accounts)):
                account_id, app_id = uuid7(), uuid7()
                account_rows.append(
                    (
                        *(account_id, CREATED, CREATED, "ENTERPRISE", f"bench {n}", "b", f"b{n}@x.cn", "13800138000"),
                        *("a", "VERIFIED", "NORMAL", 0, 0, False),
                    )
                )
                app_rows.append(
                    (
                        *(app_id, CREATED, CREATED, account_id, uuid.uuid4().hex, "直播", '["IOS"]'),
                        *('["LIVE_STREAMING"]', "NORMAL", "0" * 64),
                    )
                )
                usage_rows.extend(_usage(rng, n, account_id, app_id, rows))
            await conn.copy_records_to_table("accounts", records=account_rows, columns=ACCOUNT_COLUMNS)
            await conn.copy_records_to_table("apps", records=app_rows, columns=APP_COLUMNS)
            await conn.copy_records_to_table("usage_records", records=usage_rows, columns=USAGE_COLUMNS)
    await conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started
