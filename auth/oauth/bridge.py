"""From authlib's worker thread back to the request's async session."""

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import anyio.from_thread
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Bridge:
    """The HTTP request's one transaction, as authlib's worker thread reaches it: every read
    and write of an OAuth endpoint runs on this session (callers name it ``request_tx``), so
    the endpoint commits or rolls back as one unit with the rest of the request."""

    session: AsyncSession
    now: datetime  # the request's "now", read once from the clock (T-5)
    issuer: str
    console_redirect_uris: tuple[str, ...]

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run ``await fn(session, *args, **kwargs)`` on the event loop and wait for it."""
        return anyio.from_thread.run(lambda: fn(self.session, *args, **kwargs))


_CURRENT: ContextVar[Bridge] = ContextVar("accord_oauth_bridge")


def current() -> Bridge:
    return _CURRENT.get()


def run_with(bridge: Bridge, work: Callable[[], T]) -> T:
    """Call ``work`` (in the worker thread) with ``bridge`` as the current bridge."""
    token = _CURRENT.set(bridge)
    try:
        return work()
    finally:
        _CURRENT.reset(token)
