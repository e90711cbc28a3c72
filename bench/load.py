"""A small HTTP/1.1 load generator for the benchmarks, run in its own process so that its work
is not the server's: ``concurrency`` keep-alive connections, each sending the same request
again as soon as the answer is in, for ``seconds``. Prints (or returns) requests/s, p50, p99.

    python bench/load.py http://127.0.0.1:8000/healthz --concurrency 16 --seconds 10
"""

import argparse
import asyncio
import json
import multiprocessing
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit


@dataclass
class Figures:
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float

    def line(self, name: str) -> str:
        return (
            f"{name:<34} {self.rps:8.1f} req/s   p50 {self.p50_ms:7.1f} ms   p99 {self.p99_ms:7.1f} ms"
            f"   ({self.requests} requests, {self.errors} not 200)"
        )


def _request(url: str, body: bytes | None, headers: dict[str, str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    method = "POST" if body is not None else "GET"
    lines = [f"{method} {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
    return parts.hostname or "127.0.0.1", parts.port or 80, raw


async def _drive(url: str, body: bytes | None, headers: dict[str, str], concurrency: int, seconds: float) -> Figures:
    host, port, raw = _request(url, body, headers)
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors += 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0

    return Figures(len(latencies), errors, elapsed, len(latencies) / elapsed, pct(0.5), pct(0.99))


def _child(args: tuple, out: multiprocessing.Queue) -> None:
    out.put(asdict(asyncio.run(_drive(*args))))


def drive(
    url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None, concurrency: int, seconds: float
) -> Figures:
    """Run the load from a separate process and return its figures."""
    headers = {"Content-Type": "application/json", **(headers or {})} if body is not None else (headers or {})
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_child, args=((url, body, headers, concurrency, seconds), out))
    child.start()
    figures = Figures(**out.get())
    child.join()
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--body", help="a JSON body to POST")
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    given = dict(h.split(": ", 1) for h in args.header)
    body = json.dumps(json.loads(args.body)).encode() if args.body else None
    print(drive(args.url, body=body, headers=given, concurrency=args.concurrency, seconds=args.seconds).line(args.url))
