"""Run `accord serve` as a real process on a free port (for end-to-end and browser tests)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ACCORD = str(Path(sys.executable).parent / "accord")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, database_url: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The server is its own issuer, and GraphiQL's login lands back on it.
        self.env = (
            os.environ
            | {
                "ACCORD_DATABASE_URL": database_url,
                "ACCORD_ISSUER": self.url,
                "ACCORD_CONSOLE_REDIRECT_URIS": f"{self.url}/graphql/callback",
            }
            | env
        )

    def accord(self, *args: str) -> subprocess.CompletedProcess:
        """Run another `accord` command against the same database."""
        return subprocess.run([ACCORD, *args], env=self.env, capture_output=True, text=True, timeout=120, check=True)

    def __enter__(self) -> "Server":
        # The server's log goes to a file: a pipe nobody reads would block a chatty server.
        self.log = tempfile.NamedTemporaryFile("w+", prefix="accord-serve-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [ACCORD, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.output()
                self.discard_log()
                raise RuntimeError(f"accord serve exited: {output}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.process.kill()
        self.process.wait()
        output = self.output()
        self.discard_log()
        raise RuntimeError(f"accord serve did not become ready in 60 s: {output}")

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.discard_log()

    def discard_log(self) -> None:
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_args(profile: Path) -> list[str]:
    """Headless Chromium that can reach 127.0.0.1 only: every other host fails to resolve,
    so a page that still works needed no internet."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ]
