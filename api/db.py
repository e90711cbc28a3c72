"""Engine and session factory. One AsyncSession and one transaction per request (middleware).

Two things every session here guarantees, whoever drives it:

- **One statement at a time, never cut in half.** GraphQL resolves sibling fields
  concurrently, and they share the request's session. ``SerialSession`` runs each database
  call under a per-session lock and shields the call once it has started: a resolver that is
  cancelled (the request's deadline, a client gone) stops waiting, but the statement it started
  finishes and only then is the session handed on. A statement interrupted mid-flight leaves
  the connection in an unknown state (``PendingRollbackError`` on PostgreSQL, a hang on
  aiosqlite), which is how one refused field used to break or hang the whole request.
- **On SQLite, a transaction takes the write lock when it begins** (``BEGIN IMMEDIATE``).
  SQLite cannot upgrade a transaction that has read into a writer while another connection
  writes: it answers "database is locked" at once, whatever the busy timeout. Taking the lock
  up front makes writers queue on the busy timeout instead. Requests and jobs here may write
  (even a staff read writes its audit record), so every transaction does this. A session that
  only reads (the simulated clock's offset) opens its transaction with ``deferred_options()``:
  it then takes no lock, so it never waits behind a writer nor holds one up.
"""

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from models.sessions import DEFERRED, READS_FIRST, deferred_options

__all__ = ["SerialSession", "begin_transaction_now", "create_engine", "deferred_options", "session_factory"]

# How long a statement waits for a lock (SQLite: the write lock) before the request is answered
# 503. Below the request deadline (30 s), so a busy database says so instead of timing out.
LOCK_TIMEOUT_SECONDS = 15
POOL_RECYCLE_SECONDS = 1800


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        kwargs.setdefault("pool_timeout", LOCK_TIMEOUT_SECONDS)
        engine = create_async_engine(url, connect_args={"timeout": LOCK_TIMEOUT_SECONDS}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # The driver's own implicit transactions break SAVEPOINT (used so that a refused
            # mutation changes nothing but its audit record): SQLAlchemy's documented fix is
            # to turn them off and emit BEGIN ourselves.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={LOCK_TIMEOUT_SECONDS * 1000}")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            deferred = conn.get_execution_options().get(DEFERRED, False)
            conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

        return engine
    # PostgreSQL: a statement that waits this long for a row or table lock gives up, and the
    # request is answered 503 (services/database.py), like SQLite's busy timeout.
    connect_args = {"server_settings": {"lock_timeout": f"{LOCK_TIMEOUT_SECONDS}s"}}
    # No pre-ping: with asyncpg it is three round trips (BEGIN, a statement, ROLLBACK) on every
    # checkout, more than a token check and a small query cost together (issue 15). A request
    # that meets a connection the server closed (a restart) is answered 503 with Retry-After
    # (services/database.py) and SQLAlchemy throws the whole pool away, so the retry connects
    # afresh; connections are recycled after half an hour regardless.
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    engine = create_async_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine.sync_engine, "begin")
    def _reads_first(conn: Any) -> None:
        # READS_FIRST (models/sessions.py): no BEGIN yet. The driver sends BEGIN lazily, before
        # the first statement of a transaction; in autocommit it sends none, so the reads run
        # as statements of their own until begin_transaction_now() turns it off again.
        if conn.get_execution_options().get(READS_FIRST, False):
            conn.connection.dbapi_connection.autocommit = True
            conn.connection.info[READS_FIRST] = True

    @event.listens_for(engine.sync_engine, "checkin")
    def _never_back_in_autocommit(dbapi_connection: Any, record: Any) -> None:
        # A connection returns to the pool as it left it, whatever happened to its request.
        if record.info.pop(READS_FIRST, False):
            dbapi_connection.autocommit = False

    return engine


def begin_transaction_now(connection: Any) -> None:
    """End READS_FIRST on this (sync) connection: its next statement begins the transaction."""
    if connection.connection.info.pop(READS_FIRST, False):
        connection.connection.dbapi_connection.autocommit = False


class SerialSession(AsyncSession):
    """An AsyncSession whose database calls run one at a time and, once started, to the end
    (see the module docstring). The lock is per session, so requests still run in parallel."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = asyncio.Lock()


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def call(self: SerialSession, *args: Any, **kwargs: Any) -> Any:
        await self._turn.acquire()  # waiting for the turn may be cancelled: nothing started yet
        try:
            task = asyncio.ensure_future(method(self, *args, **kwargs))
        except BaseException:
            self._turn.release()
            raise
        task.add_done_callback(_release_after(self._turn))
        return await asyncio.shield(task)

    return call


def _release_after(lock: asyncio.Lock) -> Callable[[asyncio.Future], None]:
    def done(task: asyncio.Future) -> None:
        lock.release()
        if not task.cancelled():
            task.exception()  # retrieved here too: its caller may have stopped waiting

    return done


# Every AsyncSession method that drives the connection itself (the others call these).
for _name in (
    "execute",
    "scalar",
    "get",
    "get_one",
    "stream",
    "refresh",
    "merge",
    "merge_all",
    "delete",
    "delete_all",
    "flush",
    "run_sync",
    "connection",
    "commit",
    "rollback",
    "close",
):
    setattr(SerialSession, _name, _serialised(getattr(AsyncSession, _name)))


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after the middleware commits.
    return async_sessionmaker(engine, class_=SerialSession, expire_on_commit=False, autoflush=False)
