"""The live feed behind ``Subscription.accountEvents`` (issue 14): how a server process learns
that another process (a request, a sweep) committed an account event.

- **PostgreSQL**: ``services.events.record`` runs ``pg_notify('accord_events', <account id>)``
  in the recording transaction, so the notification exists only if the change committed. Each
  server process keeps one asyncpg connection that LISTENs and wakes that account's
  subscribers.
- **Redis** (when ``ACCORD_REDIS_URL`` is set, on either database): after each commit the
  process PUBLISHes the accounts whose events it recorded on channel ``accord_events``; every
  process SUBSCRIBEs (services/resp.py: a tiny RESP client, no dependency).
- **SQLite without Redis**: one process writes at a time and every process polls the outbox
  table (``account_events``) twice a second: enough for one machine's console.

A wake-up carries no data: the subscriber re-reads its own account's events from the database
(``services.events.recent``), so nothing reaches a subscription that its scope could not read,
and a lost notification delays an event until the next wake-up (every 5 s at the latest)
instead of losing it. Ids are UUIDv7 (real time): each read covers the last minute, skipping
ids already sent, so a transaction that commits after a later-started one is still seen."""

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.db import deferred_options
from models import AccountEvent
from services import events, resp

log = logging.getLogger("accord.live")

POLL_SECONDS = 0.5
# Even without a wake-up, a subscriber looks again this often (a lost notification, a restart).
IDLE_SECONDS = 5.0
OVERLAP = timedelta(seconds=60)
# How often a subscription checks that its token still holds (expired, revoked: it ends).
RECHECK_SECONDS = 30.0


class LiveFeed:
    def __init__(
        self,
        *,
        database_url: str,
        session_factory: Any,
        redis_url: str | None = None,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.database_url, self.session_factory, self.redis_url = database_url, session_factory, redis_url
        self.idle_seconds = idle_seconds
        self._waiters: dict[uuid.UUID, set[asyncio.Event]] = defaultdict(set)
        self._task: asyncio.Task | None = None

    # -- wake-ups ------------------------------------------------------------------------

    def _wake(self, account_id: uuid.UUID) -> None:
        for waiter in self._waiters.get(account_id, ()):
            waiter.set()

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for waiter in waiters:
                waiter.set()

    def _wake_text(self, payload: str) -> None:
        for part in payload.split(","):
            with contextlib.suppress(ValueError):
                self._wake(uuid.UUID(part.strip()))

    def _ensure_started(self) -> None:
        if self._task is None or self._task.done():
            if self.redis_url:
                source = self._listen_redis()
            elif self.database_url.startswith("postgresql"):
                source = self._listen_postgres()
            else:
                source = self._poll()
            self._task = asyncio.create_task(source)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            self._wake_all()

    async def _listen_postgres(self) -> None:
        dsn = make_url(self.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                connection = await asyncpg.connect(dsn)
                try:
                    closed = asyncio.Event()
                    connection.add_termination_listener(lambda _connection, closed=closed: closed.set())
                    await connection.add_listener(events.CHANNEL, lambda *args: self._wake_text(args[3]))
                    self._wake_all()  # whatever happened while not listening
                    await closed.wait()
                finally:
                    with contextlib.suppress(Exception):
                        await connection.close()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live feed: LISTEN failed; retrying", exc_info=True)
            await asyncio.sleep(1)

    async def _listen_redis(self) -> None:
        while True:
            try:
                reader, writer = await resp.connect(self.redis_url or "")
                try:
                    writer.write(resp.command("SUBSCRIBE", events.CHANNEL))
                    await writer.drain()
                    self._wake_all()
                    while True:
                        reply = await resp.read_reply(reader)
                        if isinstance(reply, list) and len(reply) == 3 and reply[0] == b"message":
                            self._wake_text(reply[2].decode())
                finally:
                    writer.close()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live feed: Redis SUBSCRIBE failed; retrying", exc_info=True)
            await asyncio.sleep(1)

    # -- a subscriber ---------------------------------------------------------------------

    async def events(
        self, *, account_id: uuid.UUID, types: frozenset[str], still_allowed: Any = None
    ) -> AsyncIterator[AccountEvent]:
        """The account's events recorded from now on, of ``types``, until the consumer stops
        or ``still_allowed()`` (checked every RECHECK_SECONDS) says the token no longer holds."""
        self._ensure_started()
        waiter = asyncio.Event()
        self._waiters[account_id].add(waiter)
        try:
            started, next_check = datetime.now(UTC), time.monotonic() + RECHECK_SECONDS
            seen = {row.id for row in await self._read(account_id, events.id_bound(started - OVERLAP), types)}
            since = events.id_bound(started - OVERLAP)
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.wait(), self.idle_seconds)
                waiter.clear()
                if still_allowed is not None and time.monotonic() >= next_check:
                    if not await still_allowed():
                        return
                    next_check = time.monotonic() + RECHECK_SECONDS
                read_at = datetime.now(UTC)
                for row in await self._read(account_id, since, types):
                    if row.id not in seen:
                        seen.add(row.id)
                        yield row
                since = events.id_bound(read_at - OVERLAP)
                seen = {key for key in seen if key >= since}
        finally:
            self._waiters[account_id].discard(waiter)
            if not self._waiters[account_id]:
                del self._waiters[account_id]

    async def _read(self, account_id: uuid.UUID, since: uuid.UUID, types: frozenset[str]) -> list[AccountEvent]:
        async with self.session_factory() as session:
            await session.connection(execution_options=deferred_options())  # a reader: no write lock
            return await events.recent(session, account_id=account_id, since=since, types=types)


# -- Redis: publishing after commit ---------------------------------------------------------


def publish_after_commit(redis_url: str) -> Callable[[], None]:
    """Every commit in this process that recorded events PUBLISHes their accounts (once).
    Installed once per URL; returns what uninstalls it (a test's teardown)."""
    if redis_url in _installed:
        return _installed[redis_url]

    def _published(session: Session) -> None:
        # Releasing a SAVEPOINT (every audited mutation runs in one) fires after_commit too,
        # while the request's transaction is still open: publishing then woke subscribers
        # that re-read before the commit and missed the event until the next wake-up.
        if session.in_nested_transaction():
            return
        accounts = session.info.pop(events.ANNOUNCED, None)
        if not accounts:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(_publish(redis_url, ",".join(str(a) for a in accounts)))
        _pending.add(task)
        task.add_done_callback(_pending.discard)

    def _forgotten(session: Session) -> None:
        # A SAVEPOINT rolled back leaves the outer transaction's announcements (a refused
        # mutation's audit row commits; an extra wake-up costs one read).
        if not session.in_nested_transaction():
            session.info.pop(events.ANNOUNCED, None)

    event.listen(Session, "after_commit", _published)
    event.listen(Session, "after_rollback", _forgotten)

    def uninstall() -> None:
        event.remove(Session, "after_commit", _published)
        event.remove(Session, "after_rollback", _forgotten)
        _installed.pop(redis_url, None)

    _installed[redis_url] = uninstall
    return uninstall


_installed: dict[str, Callable[[], None]] = {}
_pending: set[asyncio.Task] = set()


async def _publish(redis_url: str, payload: str) -> None:
    try:
        reader, writer = await resp.connect(redis_url)
        try:
            writer.write(resp.command("PUBLISH", events.CHANNEL, payload))
            await writer.drain()
            await asyncio.wait_for(resp.read_reply(reader), 5)
        finally:
            writer.close()
    except Exception:
        log.warning("live feed: PUBLISH failed (subscribers catch up within %s s)", IDLE_SECONDS, exc_info=True)
