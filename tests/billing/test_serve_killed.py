"""BIL-1 / BIL-4 (issue 15): the real server, `accord serve`, killed (SIGKILL) in the middle of
the bill run its deadline sweep runs, then started again. What it committed is whole per account
(bill, lines, notice, ``bill.issued`` event and usage marks together), the rest has none of
them, the month counts as not run, and the restarted server's sweep completes the month with
the bills an uninterrupted run gives.

The server's business clock is simulated (ACCORD_SIMULATED_CLOCK=1, the offset row set here) at
10:00 on Tuesday 1 September 2026, the first working day after August: the sweep, every second,
finds August due. Where it stops is deterministic, with no hook in the code: the test holds one
account's row lock (as a confirmation in progress would) past the first chunk of accounts
(CHUNK_ACCOUNTS), so the run commits chunk 1 and then waits inside chunk 2, in its bill insert
(the bill's foreign key needs a share lock on the account). It is killed there, between one
chunk's commit and the next's."""

import asyncio
import signal
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
from uuid6 import uuid7

from api.db import create_engine, session_factory
from services.billing.run import CHUNK_ACCOUNTS, run_monthly_billing
from tests.conftest import requires_postgres
from tests.databases import POSTGRES_URL, _asyncpg_dsn
from tests.e2e.server import Server

pytestmark = requires_postgres

ACCOUNTS = CHUNK_ACCOUNTS + 100  # two chunks: the first commits, the second is killed
STOP_AT = CHUNK_ACCOUNTS + 50  # the account (in id order) whose lock the test holds
PERIOD = date(2026, 8, 1)
NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the first working day of September
AUGUST = datetime(2026, 8, 20, 4, 0, tzinfo=UTC)
CREATED = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
ACCOUNT_COLUMNS = (
    *("id", "created_at", "updated_at", "holder_type", "name", "contact_person", "email", "phone", "address"),
    *("real_name_state", "standing", "balance_fen", "token_generation", "demo"),
)
APP_COLUMNS = (
    *("id", "created_at", "updated_at", "account_id", "app_id", "name", "terminals", "scenarios", "standing"),
    "secret_digest",
)
USAGE_COLUMNS = (
    *("id", "created_at", "updated_at", "account_id", "app_id", "product_code", "quantity_micros", "terminal"),
    *("scenario", "occurred_at", "idempotency_key", "content_digest", "within_scope", "reported_by", "reported_at"),
)

# Nothing half-applied: each query counts the rows that would show it, and must answer 0.
HALF_APPLIED = {
    "bill without its two lines adding up to its total": """
        SELECT count(*) FROM bills b WHERE (SELECT count(*) FROM bill_lines l WHERE l.bill_id = b.id) <> 2
            OR (SELECT sum(l.amount_fen) FROM bill_lines l WHERE l.bill_id = b.id) <> b.total_fen""",
    "bill without exactly one notice": """
        SELECT count(*) FROM bills b WHERE (SELECT count(*) FROM notices n WHERE n.bill_id = b.id) <> 1""",
    "bill without exactly one bill.issued event": """
        SELECT count(*) FROM bills b WHERE (SELECT count(*) FROM account_events e
            WHERE e.account_id = b.account_id AND e.type = 'bill.issued') <> 1""",
    "billed account with usage unmarked": """
        SELECT count(*) FROM usage_records u JOIN bills b ON b.account_id = u.account_id WHERE u.bill_run_id IS NULL""",
    "usage marked without a bill": """
        SELECT count(*) FROM usage_records u WHERE u.bill_run_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.account_id = u.account_id)""",
    "event or notice without a bill": """
        SELECT (SELECT count(*) FROM account_events e WHERE e.type = 'bill.issued'
                AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.account_id = e.account_id))
             + (SELECT count(*) FROM notices n WHERE n.bill_id IS NULL)""",
    "bill whose lines bill other quantities than its usage": """
        SELECT count(*) FROM bills b WHERE (SELECT sum(l.quantity_micros) FROM bill_lines l WHERE l.bill_id = b.id)
            <> (SELECT sum(u.quantity_micros) FROM usage_records u WHERE u.account_id = b.account_id)""",
}
# {account: (total, lines)}: the lines as (product, quantity, unit price, discount, amount, month).
BILLS = """
    SELECT b.account_id, b.total_fen, l.product_code, l.quantity_micros, l.unit_price_fen, l.discount_fen,
           l.amount_fen, l.service_period
    FROM bills b JOIN bill_lines l ON l.bill_id = b.id WHERE b.period = $1
"""


def _dsn(url: str) -> str:
    return _asyncpg_dsn(POSTGRES_URL, url.rsplit("/", 1)[1])


async def _seed(url: str, ids: list[uuid.UUID]) -> None:
    """The same accounts (same ids), each with one app and two usage records in August."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        accounts, apps, usage = [], [], []
        for n, account_id in enumerate(ids):
            app_id = uuid7()
            accounts.append(
                (
                    *(account_id, CREATED, CREATED, "ENTERPRISE", f"甲{n}", "张三", f"k{n}@example.cn", "13800138000"),
                    *("深圳", "VERIFIED", "NORMAL", 0, 0, False),
                )
            )
            apps.append(
                (
                    *(app_id, CREATED, CREATED, account_id, uuid.uuid4().hex, "直播", '["IOS"]'),
                    *('["LIVE_STREAMING"]', "NORMAL", "0" * 64),
                )
            )
            for r, (product, micros) in enumerate(
                (("RTC_AUDIO_MINUTES", (n % 50 + 1) * 1_500_000), ("BANDWIDTH_GB", (n % 70 + 3) * 1_000_000))
            ):
                usage.append(
                    (
                        *(uuid7(), AUGUST, AUGUST, account_id, app_id, product, micros, "IOS", "LIVE_STREAMING"),
                        *(AUGUST, f"k-{n}-{r}", "0" * 64, True, "test:metering", AUGUST),
                    )
                )
        async with conn.transaction():
            await conn.copy_records_to_table("accounts", records=accounts, columns=ACCOUNT_COLUMNS)
            await conn.copy_records_to_table("apps", records=apps, columns=APP_COLUMNS)
            await conn.copy_records_to_table("usage_records", records=usage, columns=USAGE_COLUMNS)
    finally:
        await conn.close()


async def _simulate_clock_at(url: str, at: datetime) -> None:
    """T-5: the offset row every process reads; the server's now is `at` and flows on."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        offset = (at - datetime.now(UTC)) // timedelta(microseconds=1)
        await conn.execute(
            "INSERT INTO clock_offsets (id, created_at, updated_at, name, offset_microseconds)"
            " VALUES ($1, now(), now(), 'simulated', $2)",
            uuid7(),
            offset,
        )
    finally:
        await conn.close()


async def _assert_whole(conn: asyncpg.Connection) -> tuple[set[uuid.UUID], int]:
    """Nothing half-applied; returns the billed accounts and the month's finished runs."""
    for what, query in HALF_APPLIED.items():
        assert await conn.fetchval(query) == 0, what
    billed = {row["account_id"] for row in await conn.fetch("SELECT account_id FROM bills")}
    finished = await conn.fetchval(
        "SELECT count(*) FROM bill_runs WHERE period = $1 AND finished_at IS NOT NULL", PERIOD
    )
    return billed, finished


async def _bills(conn: asyncpg.Connection) -> dict[uuid.UUID, tuple[int, list[tuple]]]:
    found: dict[uuid.UUID, tuple[int, list[tuple]]] = {}
    for row in await conn.fetch(BILLS, PERIOD):
        found.setdefault(row["account_id"], (row["total_fen"], []))[1].append(tuple(row.values())[2:])
    return {account: (total, sorted(lines)) for account, (total, lines) in found.items()}


async def _poll(conn: asyncpg.Connection, query: str, *args, what: str) -> object:
    """Another process's progress, polled (up to 60 s): the first non-empty answer."""
    for _ in range(1200):
        if found := await conn.fetchval(query, *args):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def _server(url: str, outbox: str) -> Server:
    return Server(
        url,
        ACCORD_ENV="test",
        ACCORD_SIMULATED_CLOCK="1",
        ACCORD_SWEEP_SECONDS="1",
        ACCORD_OUTBOX_DIR=outbox,
    )


async def test_bil1_bil4_serve_sigkilled_between_bill_run_chunks_leaves_whole_bills_and_restart_completes(
    databases, tmp_path
) -> None:
    url = await databases.migrated()
    ids = sorted(uuid7() for _ in range(ACCOUNTS))
    await _seed(url, ids)
    await _simulate_clock_at(url, NOW)
    outbox = str(tmp_path / "mail")

    watcher = await asyncpg.connect(_dsn(url))
    blocker = await asyncpg.connect(_dsn(url))
    try:
        hold = blocker.transaction()
        await hold.start()
        await blocker.execute("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", ids[STOP_AT])
        server = _server(url, outbox)
        server.__enter__()
        try:
            waiting = (
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO bills%'"
            )
            pid = await _poll(watcher, waiting, what="the sweep's bill run reaching the held account")
            # Chunk 1 is committed; chunk 2's usage claim is written and uncommitted.
            assert await watcher.fetchval("SELECT count(*) FROM bills") == CHUNK_ACCOUNTS
            claiming = (
                "SELECT count(*) FROM pg_locks WHERE pid = $1 AND relation = 'usage_records'::regclass"
                " AND mode = 'RowExclusiveLock' AND granted"
            )
            assert await watcher.fetchval(claiming, pid) == 1
            server.process.send_signal(signal.SIGKILL)
            assert server.process.wait(timeout=30) == -signal.SIGKILL
            log = server.output()
        finally:
            server.process.kill()  # already dead unless an assertion above failed
            server.process.wait()
            server.discard_log()
        await hold.rollback()
        # Its sessions see their client gone: the one that waited gets the lock, then rolls back.
        others = "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = current_database() AND pid <> ALL($1)"
        await _poll(watcher, others, [watcher.get_server_pid(), blocker.get_server_pid()], what="the sessions ending")

        billed, finished = await _assert_whole(watcher)
        assert billed == set(ids[:CHUNK_ACCOUNTS]) and finished == 0, log
        # The killed run's row stays unfinished and counts the chunk it committed.
        unfinished = await watcher.fetch("SELECT issued FROM bill_runs WHERE finished_at IS NULL")
        assert [row["issued"] for row in unfinished] == [CHUNK_ACCOUNTS]

        with _server(url, outbox) as again:
            finishing = "SELECT count(*) FROM bill_runs WHERE finished_at IS NOT NULL"
            await _poll(watcher, finishing, what="the restarted server finishing the month")
            log = again.output()
        billed, finished = await _assert_whole(watcher)
        assert billed == set(ids) and finished == 1, log
        restarted = await _bills(watcher)
    finally:
        await blocker.close()
        await watcher.close()

    uninterrupted = await databases.migrated()
    await _seed(uninterrupted, ids)
    engine = create_engine(uninterrupted)
    async with session_factory(engine)() as session:
        await run_monthly_billing(session, period=PERIOD, ran_by="test", now=NOW)
        await session.commit()
    await engine.dispose()
    conn = await asyncpg.connect(_dsn(uninterrupted))
    try:
        assert restarted == await _bills(conn)
    finally:
        await conn.close()
