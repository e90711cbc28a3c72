"""A tiny Redis client (RESP2 over asyncio streams), no dependency: what Accord asks of Redis is
PUBLISH and SUBSCRIBE for the live feed (api/live.py) and one script call per request for the
query-cost budget (services/cost_budget.py).

``Connection`` keeps one socket per process and pipelines: each call writes its command and
waits for its reply in order (Redis answers a connection's commands in the order sent), so
concurrent requests share the socket without taking turns for a whole round trip.
"""

import asyncio
import contextlib
from collections import deque
from typing import Any
from urllib.parse import urlsplit

CONNECT_SECONDS = 5


class ReplyError(ConnectionError):
    """Redis answered with an error reply (``-ERR …``); the connection itself is still fine."""


async def connect(url: str, *, seconds: float = CONNECT_SECONDS) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(url)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(parts.hostname or "127.0.0.1", parts.port or 6379, ssl=parts.scheme == "rediss"),
        seconds,
    )
    try:
        if parts.password:
            auth = ("AUTH", parts.username, parts.password) if parts.username else ("AUTH", parts.password)
            writer.write(command(*auth))
            await asyncio.wait_for(read_reply(reader), seconds)
        database = parts.path.strip("/")
        if database and database != "0":
            writer.write(command("SELECT", database))
            await asyncio.wait_for(read_reply(reader), seconds)
    except BaseException:
        writer.close()
        raise
    return reader, writer


def command(*args: str) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        out.append(f"${len(data)}\r\n".encode() + data + b"\r\n")
    return b"".join(out)


async def read_reply(reader: asyncio.StreamReader) -> Any:
    line = (await reader.readuntil(b"\r\n"))[:-2]
    kind, rest = line[:1], line[1:]
    if kind in (b"+", b":"):
        return int(rest) if kind == b":" else rest
    if kind == b"-":
        raise ReplyError(rest.decode())
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else (await reader.readexactly(size + 2))[:-2]
    if kind == b"*":
        size = int(rest)
        return None if size < 0 else [await read_reply(reader) for _ in range(size)]
    raise ConnectionError("not a Redis reply")


class Connection:
    """One pipelined connection of this process (made on first use, again after a failure)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._writer: asyncio.StreamWriter | None = None
        self._waiting: deque[asyncio.Future] = deque()
        self._reader_task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connecting: asyncio.Lock | None = None

    async def call(self, *args: str, seconds: float) -> Any:
        """The reply to one command; ConnectionError, ReplyError or TimeoutError otherwise."""
        try:
            async with asyncio.timeout(seconds):
                writer = await self._connected(seconds)
                future = asyncio.get_running_loop().create_future()
                self._waiting.append(future)
                writer.write(command(*args))  # no await between queueing and writing: replies stay in order
                return await future
        except TimeoutError:
            # The reply may still come (the reader skips cancelled waiters, so the queue stays
            # aligned), but a Redis this slow is treated as gone: the next call reconnects.
            self.close()
            raise

    async def _connected(self, seconds: float) -> asyncio.StreamWriter:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests): the old socket belongs to the old one
            self._forget()
            self._loop, self._connecting = loop, asyncio.Lock()
        assert self._connecting is not None
        async with self._connecting:
            if self._writer is None or self._writer.is_closing():
                reader, self._writer = await connect(self.url, seconds=seconds)
                self._reader_task = loop.create_task(self._read_replies(reader))
        return self._writer

    async def _read_replies(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                try:
                    reply: Any = await read_reply(reader)
                except ReplyError as error:
                    reply = error
                waiter = self._waiting.popleft()
                if waiter.done():
                    continue
                if isinstance(reply, ReplyError):
                    waiter.set_exception(reply)
                else:
                    waiter.set_result(reply)
        except (OSError, asyncio.IncompleteReadError, IndexError, ConnectionError) as error:
            self._fail(ConnectionError(f"Redis connection lost: {error!r}"))

    def _fail(self, error: Exception) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_exception(error)
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _forget(self) -> None:
        self._writer, self._reader_task, self._waiting = None, None, deque()

    def close(self) -> None:
        if self._reader_task is not None:
            self._reader_task.cancel()
        self._fail(ConnectionError("Redis connection closed"))
        self._reader_task = None

    async def aclose(self) -> None:
        task = self._reader_task
        self.close()
        if task is not None and self._loop is asyncio.get_running_loop():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
