"""`accord serve` (uvicorn) believes X-Forwarded-For from nobody by default: a client on the
same host cannot pick a fresh address per request to escape the per-address lock-out or the
registration budget (uvicorn on its own would believe any local peer)."""

import base64
import hashlib
import secrets

import httpx
import pytest

from tests.e2e.server import Server

REGISTER = """
mutation R($input: RegisterAccountInput!) { registerAccount(input: $input) { account { id } userErrors { code } } }
"""
ACCOUNT = {
    "holderType": "INDIVIDUAL",
    "login": "xff@example.cn",
    "password": "a-long-password",
    "name": "李雷",
    "contactPerson": "李雷",
    "email": "xff@example.cn",
    "phone": "13912345678",
    "address": "上海市浦东新区世纪大道100号",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("xff") / "accord.db"
    with Server(f"sqlite+aiosqlite:///{db}", ACCORD_SWEEP_SECONDS="0") as running:
        yield running


def _register(server, forwarded: str, **change: str) -> dict:
    answer = httpx.post(
        f"{server.url}/graphql",
        json={"query": REGISTER, "variables": {"input": ACCOUNT | change}},
        headers={"X-Forwarded-For": forwarded},
    )
    return answer.json()


def _authorize(server, login: str, password: str, forwarded: str) -> int:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(secrets.token_bytes(32)).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": "console",
        "redirect_uri": f"{server.url}/graphql/callback",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    answer = httpx.post(
        f"{server.url}/oauth/authorize",
        params=params,
        data={"login": login, "password": password},
        headers={"X-Forwarded-For": forwarded},
    )
    return answer.status_code


def test_a_changing_forwarded_header_escapes_no_per_address_limit(server) -> None:
    created = _register(server, "203.0.113.250")
    assert created["data"]["registerAccount"]["userErrors"] == []
    for i in range(9):
        assert _register(server, f"203.0.113.{i}", login=f"u{i}@example.cn", phone="bad")["data"]
    limited = _register(server, "198.51.100.1", login="late@example.cn")
    assert limited["errors"][0]["extensions"]["code"] == "RATE_LIMITED"

    for i in range(20):
        assert _authorize(server, f"guess{i}@example.cn", "x" * 12, f"203.0.113.{i}") == 401
    assert _authorize(server, ACCOUNT["login"], ACCOUNT["password"], "198.51.100.2") == 401  # locked out
