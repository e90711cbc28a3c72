"""Concurrent writes on the embedded default (issue 9, item 3): `accord serve` on SQLite with the
demo data takes 50 mixed writes at once — logins, top-ups, confirmations of one bill,
registrations, sweeps — with no 5xx, and every effect happens exactly once (api/db.py)."""

import asyncio
import uuid

import httpx

from tests.accounts.queries import REGISTER
from tests.billing.helpers import CONFIRM
from tests.e2e.server import Server
from tests.principals import REDIRECT_URI, token_for

DEMO_PASSWORD = "accord-demo-2026"
HOLDER = "holder@shenzhen-rtc.demo"
IN_ARREARS = "wang.fang@individual.demo"  # her last month's bill is ISSUED, its window open
TOP_UP = """
mutation T($key: String!) {
  topUp(input: {amount: "1.00", method: BANK_TRANSFER, reference: $key, idempotencyKey: $key}) {
    pending topUpId userErrors { code } }
}
"""
SWEEP = "mutation { runDueJobs { results { job changed } } }"
PENDING = "{ account { pendingTopUps { reference } } }"
BILLS = (
    "{ account { bills { edges { node { id state confirmedAt } } } ledger(first: 100) { edges { node { kind } } } } }"
)


def registration(login: str) -> dict:
    return {
        "holderType": "INDIVIDUAL",
        "login": login,
        "password": "a-long-password",
        "name": "李雷",
        "contactPerson": "李雷",
        "email": login,
        "phone": "13912345678",
        "address": "上海市浦东新区世纪大道100号",
    }


def test_fifty_concurrent_mixed_writes_on_sqlite(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/concurrent.db"
    server = Server(
        url,
        ACCORD_SWEEP_SECONDS="0",
        ACCORD_OUTBOX_DIR=str(tmp_path / "outbox"),
        ACCORD_ENV="development",
    )
    server.env["ACCORD_CONSOLE_REDIRECT_URIS"] += f",{REDIRECT_URI}"
    server.accord("db", "upgrade")
    server.accord("demo", "seed")
    with server:
        asyncio.run(_fifty_at_once(server.url))


async def _fifty_at_once(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def token(login: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {(await token_for(http, login, DEMO_PASSWORD))['access_token']}"}

        holder, wang, admin = await asyncio.gather(token(HOLDER), token(IN_ARREARS), token("admin@accord.demo"))
        bills = (await http.post("/graphql", json={"query": BILLS}, headers=wang)).json()["data"]["account"]
        (issued,) = [e["node"] for e in bills["bills"]["edges"] if e["node"]["state"] == "ISSUED"]
        settlements_before = sum(e["node"]["kind"] == "BILL_DEDUCTION" for e in bills["ledger"]["edges"])

        async def post(query: str, variables: dict, headers: dict | None = None) -> httpx.Response:
            return await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers or {})

        keys = [f"concurrent-{i}" for i in range(10)]
        logins = [f"{uuid.uuid4().hex[:8]}@example.cn" for _ in range(8)]
        work = [
            *(token_for(http, HOLDER, DEMO_PASSWORD) for _ in range(15)),
            *(post(TOP_UP, {"key": key}, holder) for key in keys),
            *(post(CONFIRM, {"id": issued["id"]}, wang) for _ in range(10)),
            *(post(REGISTER, {"input": registration(login)}) for login in logins),
            *(post(SWEEP, {}, admin) for _ in range(7)),
        ]
        assert len(work) == 50
        answers = await asyncio.gather(*work, return_exceptions=True)

        failures = [a for a in answers if isinstance(a, BaseException)]
        assert failures == [], failures  # token_for asserts its own 200s (no 5xx in a login)
        responses = [a for a in answers if isinstance(a, httpx.Response)]
        assert [r.status_code for r in responses if r.status_code >= 500] == []
        assert all("errors" not in r.json() for r in responses), [r.json() for r in responses if "errors" in r.json()]

        # Every effect exactly once.
        pending = (await post(PENDING, {}, holder)).json()["data"]["account"]["pendingTopUps"]
        assert sorted(p["reference"] for p in pending if p["reference"].startswith("concurrent-")) == sorted(keys)
        confirmations = responses[10:20]
        accepted = [r for r in confirmations if not r.json()["data"]["confirmBill"]["userErrors"]]
        assert len(accepted) == 1
        after = (await post(BILLS, {}, wang)).json()["data"]["account"]
        (bill,) = [e["node"] for e in after["bills"]["edges"] if e["node"]["id"] == issued["id"]]
        assert bill["state"] in ("CONFIRMED", "SETTLED") and bill["confirmedAt"]
        settlements = sum(e["node"]["kind"] == "BILL_DEDUCTION" for e in after["ledger"]["edges"])
        assert settlements <= settlements_before + 1
        for login in logins:
            fresh = await token_for(http, login, "a-long-password")
            assert fresh["access_token"]
