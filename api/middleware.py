"""Request middleware: request id, one DB session and transaction, metrics and a log line.

The transaction is committed (or rolled back) just before the response starts, so a client
never sees a success whose writes were lost, and a failed commit becomes a 500 instead.
"""

import logging
import re
import time
import uuid
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics
from services import simulated_clock
from services.clock import Clock, OffsetClock

log = logging.getLogger("accord.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestTransaction:
    """The request's session, opened on first use (health checks never touch the DB)."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory
        self._session: AsyncSession | None = None
        self._rollback_only = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._factory()
        return self._session

    def mark_rollback_only(self) -> None:
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
            return OffsetClock(app_state.clock, await simulated_clock.offset(session))
    except DBAPIError:
        log.warning("simulated clock offset unreadable (database not migrated?); using the base clock")
        return app_state.clock


class RequestMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
        transaction = RequestTransaction(app_state.session_factory)
        state["request_id"] = request_id
        state["transaction"] = transaction
        state["clock"] = await request_clock(app_state)
        status = 500
        finished = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, finished
            if message["type"] == "http.response.start":
                status = message["status"]
                if not finished:
                    finished = True
                    try:
                        await transaction.finish(failed=status >= 500)
                    except Exception:
                        log.exception("commit failed", extra={"request_id": request_id})
                        await _send_error(send, request_id)
                        status = 500
                        raise _Aborted() from None
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except _Aborted:
            pass
        except Exception:
            log.exception("unhandled error", extra={"request_id": request_id})
            if not finished:
                finished = True
                await transaction.finish(failed=True)
                await _send_error(send, request_id)
            status = 500
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


class _Aborted(Exception):
    """The response was replaced by a 500 after a failed commit."""


def _client(scope: Scope) -> Any:
    client = scope.get("client")
    return client[0] if client else None


async def _send_error(send: Send, request_id: str) -> None:
    body = b'{"errors":[{"message":"Internal server error.","extensions":{"code":"INTERNAL"}}]}'
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
