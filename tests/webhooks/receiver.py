"""A real HTTP receiver on 127.0.0.1 for webhook tests: it records every request it reads and
answers what the test tells it to (a status, or nothing at all: a hang)."""

import asyncio
import hashlib
import hmac
from collections import deque
from dataclasses import dataclass, field

HANG = -1


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    # What to answer, in turn; when empty, ``default``.
    script: deque = field(default_factory=deque)
    default: int = 200
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    # Seconds each answer takes, and the most requests seen in flight at once.
    delay: float = 0
    in_flight: int = 0
    most_in_flight: int = 0

    async def start(self) -> "Receiver":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def close(self) -> None:
        self.server.close()

    def answer(self, *statuses: int) -> None:
        self.script.extend(statuses)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append(Received(path, headers, body))
            self.arrived.set()
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.delay)
            finally:
                self.in_flight -= 1
            status = self.script.popleft() if self.script else self.default
            if status == HANG:
                await asyncio.sleep(3600)
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def verify(secret: str, header: str, body: bytes, *, tolerance: int | None = None, now: int | None = None) -> bool:
    """What a partner runs (the README shows the same lines)."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = tolerance is None or now is None or abs(now - int(fields["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected, fields["v1"])
