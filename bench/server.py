"""`accord serve` on a scratch database for the HTTP benchmarks: started as its own process
(and process group), answered on /healthz, stopped afterwards; and tokens for it."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
ACCORD = str(Path(sys.executable).with_name("accord"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(url: str, port: int, source: str | None = None, **extra: str) -> dict[str, str]:
    """``source``: another checkout whose code the server runs instead (a "before" figure)."""
    before = {"PYTHONPATH": source} if source else {}
    return (
        os.environ
        | before
        | {
            "ACCORD_DATABASE_URL": url,
            "ACCORD_ISSUER": f"http://127.0.0.1:{port}",
            "ACCORD_SWEEP_SECONDS": "0",
            "ACCORD_ENV": "development",
            # One principal at full speed spends far past a person's budget (the dashboard
            # query costs 490: 10 s at 300/s is 1.5 million); the budget is still checked on
            # every operation, it just never refuses one here.
            "ACCORD_COST_BUDGET_PER_MINUTE": str(10**12),
        }
        | extra
    )


def accord(url: str, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - our own CLI
        [ACCORD, *args], env=environment(url, 0), input=stdin, capture_output=True, text=True, cwd=ROOT, check=False
    )
    if done.returncode:
        raise SystemExit(f"accord {' '.join(args)}: {done.stderr}")
    return done.stdout


@contextlib.contextmanager
def serving(url: str, *, workers: int = 2, source: str | None = None, **extra: str) -> Iterator[str]:
    """The base URL of `accord serve --workers N` on ``url`` until the block ends; ``source``
    runs another checkout's code (e.g. an export of main, for before/after in one run)."""
    port = free_port()
    log = open(os.devnull, "w")  # noqa: SIM115 - one JSON line per request: not the figure
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [ACCORD, "serve", "--port", str(port), "--workers", str(workers)],
        env=environment(url, port, source, **extra),
        cwd=source or ROOT,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("accord serve did not start")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def client_token(base: str, url: str, kind: str = "metering") -> str:
    """A client-credentials access token of a new metering (or payments) client."""
    out = accord(url, "clients", f"create-{kind}", "--name", f"bench {kind}")
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    answer = httpx.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(fields["client_id"], fields["client_secret"]),
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["access_token"]
