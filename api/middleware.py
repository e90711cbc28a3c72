"""Request middleware: request id, one DB session and transaction, a deadline, metrics and a
log line.

The transaction is committed (or rolled back) just before the response starts, so a client
never sees a success whose writes were lost, and a failed commit becomes a 500 instead (a 503
with Retry-After when the database was only busy). Every request has a deadline
(``ACCORD_REQUEST_TIMEOUT_SECONDS``, 30 s): past it the work is cancelled, the transaction is
thrown away, and the answer is 504.
"""

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics
from api.db import begin_transaction_now, deferred_options
from models.sessions import READS_FIRST
from services import simulated_clock
from services.clock import Clock, OffsetClock, bind_clock
from services.database import is_busy

log = logging.getLogger("accord.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A 503 (database busy) asks the client to retry after this many seconds.
_BUSY_HEADERS = {"Retry-After": "1"}
BUSY_MESSAGE = "The database is busy; try again shortly."


class RequestTransaction:
    """The request's session, opened on first use (health checks never touch the DB).

    With the simulated clock on, the request's clock is an ``OffsetClock`` whose offset is read
    by the request's own session, as the first statement of its transaction: one session and
    one connection per request, and a request that never touches the database reads nothing.
    """

    def __init__(self, factory: async_sessionmaker[AsyncSession], clock: Clock, *, simulated: bool = False) -> None:
        self._factory = factory
        self._clock = clock
        self._session: AsyncSession | None = None
        self._rollback_only = False
        self._offset_pending = simulated
        self.busy = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._factory()
            bind_clock(self._session, self._clock)  # T-5: new rows are stamped in business time
            if self._offset_pending:
                event.listen(self._session.sync_session, "after_begin", self._read_offset)
        return self._session

    async def clock(self) -> Clock:
        """The request's clock with its simulated offset read (starts the transaction)."""
        if self._offset_pending:
            await self.session.connection()
        return self._clock

    @contextlib.asynccontextmanager
    async def reads_first(self, *, reading: bool) -> AsyncIterator[None]:
        """The reads in this block (the simulated offset, the bearer check) run before the
        database transaction begins, each a statement of its own (PostgreSQL; models/sessions.py
        READS_FIRST): a request that reads nothing else costs one round trip, not three. They
        only read, and under READ COMMITTED every statement sees its own snapshot anyway. The
        block must come first: a session already in use keeps its transaction. ``reading``:
        whether the block reads at all (no connection is taken for a block that does not)."""
        if self._session is not None or not (reading or self._offset_pending):
            yield
            return
        await self.session.connection(execution_options={READS_FIRST: True})
        try:
            yield
        finally:
            connection = await self.session.connection()
            begin_transaction_now(connection.sync_connection)

    def _read_offset(self, _session: Any, _transaction: Any, connection: Any) -> None:
        if not self._offset_pending:
            return
        self._offset_pending = False
        found = connection.execute(simulated_clock.OFFSET).scalar()
        assert isinstance(self._clock, OffsetClock)
        self._clock.offset = timedelta(microseconds=found or 0)

    def mark_rollback_only(self) -> None:
        self._rollback_only = True

    def mark_busy(self) -> None:
        """The database stayed busy past its timeout: roll back and answer 503."""
        self.busy = True
        self._rollback_only = True

    async def finish(self, *, failed: bool) -> None:
        """Commit, or roll back when the request failed; always close."""
        if self._session is None:
            return
        try:
            if failed or self._rollback_only:
                await self._session.rollback()
            else:
                await self._session.commit()
        finally:
            await self._session.close()
            self._session = None


async def request_clock(app_state: Any) -> Clock:
    """T-5: the clock of this request. With ACCORD_SIMULATED_CLOCK=1 it is the base clock moved
    by the offset staff set (read from the database, so every process agrees)."""
    if not app_state.settings.simulated_clock:
        return app_state.clock
    try:
        async with app_state.session_factory() as session:
            await session.connection(execution_options=deferred_options())
            return OffsetClock(app_state.clock, await simulated_clock.offset(session))
    except DBAPIError:
        log.warning("simulated clock offset unreadable (database not migrated?); using the base clock")
        return app_state.clock


class RequestMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Requests past their deadline whose work is still winding down (kept referenced).
        self._abandoned: set[asyncio.Future] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        app_state = scope["app"].state
        simulated = app_state.settings.simulated_clock
        # T-5: the offset is filled in by the request's own session (RequestTransaction).
        clock = OffsetClock(app_state.clock, timedelta(0)) if simulated else app_state.clock
        transaction = RequestTransaction(app_state.session_factory, clock, simulated=simulated)
        # BIL-5: a request is received when it arrives, not when it gets the locks it needs. The
        # base clock's reading: the simulated offset is added once the request's session read it.
        state["received_at"] = app_state.clock.now()
        state["request_id"] = request_id
        state["transaction"] = transaction
        state["clock"] = clock
        status = 500
        finished = False
        past_deadline = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, finished
            if past_deadline:
                return  # the client has its 504; the abandoned work speaks to nobody
            if message["type"] == "http.response.start":
                status = message["status"]
                if not finished:
                    finished = True
                    try:
                        await transaction.finish(failed=status >= 500)
                    except Exception as error:
                        status = await _send_failure(send, request_id, error, "commit failed")
                        raise _Aborted() from None
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        # The app runs in its own task so that the deadline never waits on it: cleanup that
        # SQLAlchemy runs to completion (a savepoint's rollback behind a blocked statement) goes
        # on in the background while the client already has its answer.
        work = asyncio.ensure_future(self.app(scope, receive, send_wrapper))
        try:
            await asyncio.wait({work}, timeout=app_state.settings.request_timeout_seconds)
            if not work.done():
                past_deadline = True
                work.cancel()
                self._abandoned.add(asyncio.ensure_future(_abandon(work, transaction)))
                self._abandoned = {task for task in self._abandoned if not task.done()}
                log.warning("request deadline passed", extra={"request_id": request_id})
                if not finished:
                    finished = True
                    status = await _send_answer(send, request_id, 504, "The request took too long.", "TIMEOUT")
            else:
                work.result()
        except asyncio.CancelledError:
            work.cancel()  # the server is stopping or the client went away
            raise
        except _Aborted:
            pass
        except Exception as error:
            if not finished:
                finished = True
                await transaction.finish(failed=True)
                status = await _send_failure(send, request_id, error, "unhandled error")
            else:
                log.exception("unhandled error after the response started", extra={"request_id": request_id})
        finally:
            if not finished:
                await transaction.finish(failed=True)
            elapsed = time.perf_counter() - started
            operation = state.get("operation")
            metrics.observe(scope["path"], operation, status, elapsed)
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "operation": operation,
                    "client": _client(scope),
                },
            )


async def _abandon(work: asyncio.Future, transaction: RequestTransaction) -> None:
    """Cancelled work finishes only the statement it is in (api/db.py): bounded by the lock
    timeout when that statement waits for a lock. Then its transaction is rolled back and its
    connection goes back to the pool."""
    await asyncio.wait({work})
    if not work.cancelled():
        work.exception()  # retrieved: the deadline was logged, nobody else reads this
    await transaction.finish(failed=True)


class _Aborted(Exception):
    """The response was replaced by a 500 (or 503) after a failed commit."""


def _client(scope: Scope) -> Any:
    client = scope.get("client")
    return client[0] if client else None


async def _send_failure(send: Send, request_id: str, error: Exception, what: str) -> int:
    """Answer an exception the app did not handle: 503 when the database was only busy, else a
    masked 500 (the details go to the log, never to the client)."""
    if is_busy(error):
        log.warning("%s: database busy", what, extra={"request_id": request_id})
        return await _send_answer(send, request_id, 503, BUSY_MESSAGE, "UNAVAILABLE")
    log.error(what, exc_info=error, extra={"request_id": request_id})
    return await _send_answer(send, request_id, 500, "Internal server error.", "INTERNAL")


def error_body(message: str, code: str) -> dict[str, Any]:
    """The body of an answer that is one top-level GraphQL error."""
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def busy_response() -> JSONResponse:
    """503 for a GraphQL request whose database stayed busy (nothing of it was kept)."""
    return JSONResponse(error_body(BUSY_MESSAGE, "UNAVAILABLE"), status_code=503, headers=_BUSY_HEADERS)


async def _send_answer(send: Send, request_id: str, status: int, message: str, code: str) -> int:
    body = json.dumps(error_body(message, code)).encode()
    headers = [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode())]
    if status == 503:
        headers += [(name.lower().encode(), value.encode()) for name, value in _BUSY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return status
