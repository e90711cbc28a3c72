"""A refused or failing field never affects its siblings, the session is never cut mid-statement,
and every request has a deadline (issue 9, item 1; schema/execution.py, api/db.py)."""

import asyncio
import contextlib
import sqlite3

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import api.db
from api.app import create_app
from api.db import SerialSession
from models import Account, UserKind
from tests.accounts.helpers import verify
from tests.conftest import POSTGRES_URL, gql
from tests.factories import make_user
from tests.principals import token_for

# What a sub-account with only account:read and apps:read asks for on the console's first screen.
DASHBOARD = """
{ viewer { account { id balance apps { edges { node { appId } } } notices { edges { node { subject } } }
                     ledger { edges { node { amount } } } profile { name } } } }
"""
CALENDAR_AND_PRICES = '{ workingDays(from: "2027-01-01", to: "2027-01-05") priceList { product unitPrice } }'
HELD_AND_ACCOUNTS = "{ heldBills { period } accounts { edges { node { id } } } }"
TOP_UP = """
mutation T($key: String!) {
  topUp(input: {amount: "10.00", method: BANK_TRANSFER, reference: "r", idempotencyKey: $key}) {
    pending userErrors { code } }
}
"""


def codes_at(body: dict) -> dict[tuple, str]:
    return {tuple(e["path"]): e["extensions"]["code"] for e in body.get("errors", [])}


async def ops_headers(client, session, principals) -> dict[str, str]:
    account = await session.get(Account, principals.account_a.id)
    ops = await make_user(session, UserKind.SUB_ACCOUNT, account=account, permissions=["account:read", "apps:read"])
    await session.commit()
    return {"Authorization": f"Bearer {(await token_for(client, ops.login))['access_token']}"}


async def test_a_refused_field_answers_at_its_path_and_its_siblings_answer(client, session, principals) -> None:
    headers = await ops_headers(client, session, principals)
    # Many times over: a refused field used to leave the session broken (500) or hung (SQLite).
    for _ in range(10):
        response = await asyncio.wait_for(client.post("/graphql", json={"query": DASHBOARD}, headers=headers), 20)
        assert response.status_code == 200, response.text
        body = response.json()
        account = body["data"]["viewer"]["account"]
        assert account["apps"] == {"edges": []} and account["notices"] == {"edges": []}
        assert account["profile"]["name"] == "甲公司"
        assert account["balance"] is None and account["ledger"] is None
        assert codes_at(body) == {
            ("viewer", "account", "balance"): "INSUFFICIENT_PERMISSION",
            ("viewer", "account", "ledger"): "INSUFFICIENT_PERMISSION",
        }


async def test_an_unknown_calendar_year_leaves_the_price_list_answered(client, principals) -> None:
    body = await gql(client, CALENDAR_AND_PRICES, headers=principals.holder_a.headers)
    assert body["data"]["workingDays"] is None
    assert len(body["data"]["priceList"]) >= 7
    assert codes_at(body) == {("workingDays",): "CALENDAR_UNKNOWN"}


async def test_support_refused_held_bills_still_lists_accounts(client, principals) -> None:
    body = await gql(client, HELD_AND_ACCOUNTS, headers=principals.staff["SUPPORT"].headers)
    assert body["data"]["heldBills"] is None
    assert len(body["data"]["accounts"]["edges"]) == 2
    assert codes_at(body) == {("heldBills",): "INSUFFICIENT_PERMISSION"}


async def test_a_cancelled_statement_finishes_before_the_session_is_used_again(app) -> None:
    """The mechanism behind the above: cancelling a caller never interrupts its statement."""
    slow = "SELECT pg_sleep(0.3), 1" if POSTGRES_URL else _SLOW_SQLITE
    async with app.state.session_factory() as session:
        assert isinstance(session, SerialSession)
        caller = asyncio.ensure_future(session.execute(text(slow)))
        await asyncio.sleep(0.05)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        # The next call waits its turn, then finds the connection in order.
        assert (await session.execute(text("SELECT 2"))).scalar() == 2
        await session.rollback()


# About half a second of work for SQLite, which has no sleep function.
_SLOW_SQLITE = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*), 1 FROM n"
)


# Statements of this test's database waiting for a lock.
_WAITING = """
SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
WHERE NOT l.granted AND a.datname = current_database()
"""


@contextlib.asynccontextmanager
async def served(settings, clock, *, lock_timeout: float, deadline: float = 30):
    """An HTTP client on a new app whose statements give up waiting for a lock after
    ``lock_timeout`` seconds (SQLite's busy timeout, PostgreSQL's lock_timeout)."""
    settings.request_timeout_seconds = deadline
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api.db, "LOCK_TIMEOUT_SECONDS", lock_timeout)
        app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            yield http


async def hold_the_database(database_url: str) -> object:
    """Another client holding what a top-up needs: SQLite's write lock, or PostgreSQL's table."""
    if POSTGRES_URL:
        url = make_url(database_url).set(drivername="postgresql")
        conn = await asyncpg.connect(url.render_as_string(hide_password=False))
        await conn.execute("BEGIN; LOCK TABLE top_ups IN ACCESS EXCLUSIVE MODE")
        return conn
    conn = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


async def release(conn: object) -> None:
    if isinstance(conn, sqlite3.Connection):
        conn.execute("ROLLBACK")
        conn.close()
    else:
        await conn.close()


async def test_a_request_past_its_deadline_answers_504_and_changes_nothing(
    settings, clock, database_url, client, principals
) -> None:
    holder = principals.holder_a.headers
    await verify(client, principals)  # PRE-1: top-ups need a verified account
    async with served(settings, clock, lock_timeout=3, deadline=1) as http:
        principals.watch(http)
        held = await hold_the_database(database_url)
        try:
            started = asyncio.get_running_loop().time()
            response = await http.post("/graphql", json={"query": TOP_UP, "variables": {"key": "late"}}, headers=holder)
            assert response.status_code == 504
            assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
            assert asyncio.get_running_loop().time() - started < 3
            if POSTGRES_URL:
                # The abandoned statement gives up at the lock timeout; its connection is not
                # left queued behind the lock.
                await asyncio.sleep(3.5)
                assert await held.fetchval(_WAITING) == 0
        finally:
            await release(held)
        # The server goes on serving, and the cancelled top-up left nothing behind.
        body = await gql(http, TOP_UP, {"key": "after"}, headers=holder)
        assert body["data"]["topUp"] == {"pending": True, "userErrors": []}
        pending = await gql(http, "{ account { pendingTopUps { amount } } }", headers=holder)
        assert pending["data"]["account"]["pendingTopUps"] == [{"amount": "10.00"}]


async def test_a_database_busy_past_its_lock_timeout_answers_503_with_retry_after(
    database_url, settings, clock, client, principals
) -> None:
    holder = principals.holder_a.headers
    await verify(client, principals)
    async with served(settings, clock, lock_timeout=1) as http:
        principals.watch(http)
        held = await hold_the_database(database_url)
        try:
            response = await http.post("/graphql", json={"query": TOP_UP, "variables": {"key": "busy"}}, headers=holder)
        finally:
            await release(held)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        # Nothing was kept, and with the lock gone the same request goes through.
        pending = await gql(http, "{ account { pendingTopUps { amount } } }", headers=holder)
        assert pending["data"]["account"]["pendingTopUps"] == []
        again = await gql(http, TOP_UP, {"key": "busy"}, headers=holder)
        assert again["data"]["topUp"] == {"pending": True, "userErrors": []}
