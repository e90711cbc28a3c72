"""Shutdown finishes in bounded time (issue 9, item 1): `accord serve` stops within 10 s of
SIGTERM even while a request is stuck waiting for the database."""

import sqlite3
import threading
import time

import httpx

from tests.e2e.server import Server


def test_serve_stops_within_ten_seconds_while_a_request_waits(tmp_path) -> None:
    database = tmp_path / "shutdown.db"
    server = Server(f"sqlite+aiosqlite:///{database}", ACCORD_SWEEP_SECONDS="0", ACCORD_ENV="development")
    server.accord("db", "upgrade")
    with server:
        held = sqlite3.connect(database, isolation_level=None)
        held.execute("BEGIN IMMEDIATE")  # every write now waits, up to the busy timeout
        answers: list[object] = []
        body = {
            "query": 'mutation { registerAccount(input: {holderType: INDIVIDUAL, login: "a@b.cn", '
            'password: "a-long-password", name: "李雷", contactPerson: "李雷", email: "a@b.cn", '
            'phone: "13912345678", address: "上海市"}) { userErrors { code } } }'
        }
        waiting = threading.Thread(target=lambda: answers.append(_post(server.url, body)))
        waiting.start()
        time.sleep(1)  # the registration is now waiting for the write lock
        started = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=15)
        stopped_after = time.monotonic() - started
        held.execute("ROLLBACK")
        held.close()
        waiting.join(timeout=30)
    assert stopped_after < 10, f"stopped after {stopped_after:.1f} s"


def _post(url: str, body: dict) -> object:
    try:
        return httpx.post(f"{url}/graphql", json=body, timeout=60)
    except httpx.HTTPError as error:
        return error
