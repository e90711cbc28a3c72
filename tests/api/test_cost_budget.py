"""The per-principal query-cost budget per minute (issue 15): counted in process, or in Redis
and then shared by every process; an operation over it is refused with RATE_LIMITED before
anything runs, and changes nothing.

The budgets here are real ones with a fixed reading of the clock (a test that crossed a
minute boundary would otherwise start a fresh budget half-way). Redis tests use
127.0.0.1:6379 with a random key prefix and skip when Redis is unreachable."""

import asyncio
import logging
import socket
import uuid

import httpx
import pytest
from pydantic import ValidationError

from api.app import create_app
from api.settings import Settings
from services import cost_budget as budgets
from services import resp
from services.cost_budget import InProcessBudget, RedisBudget
from tests.api.test_abuse_limits import ACCOUNTS, bearer_check, probe, refused

REDIS_URL = "redis://127.0.0.1:6379/0"
# Half past a minute: 30 s until the next minute's budget.
NOW = 1_800_000_030.0
QUERY = {"query": f"{{ {ACCOUNTS} }}"}
REGISTER = {
    "query": "mutation R($input: RegisterAccountInput!) { registerAccount(input: $input) { account { id } } }",
    "variables": {
        "input": {
            "holderType": "INDIVIDUAL",
            "login": "budget@example.cn",
            "password": "a-long-password",
            "name": "李雷",
            "contactPerson": "李雷",
            "email": "budget@example.cn",
            "phone": "13912345678",
            "address": "上海市浦东新区世纪大道100号",
        }
    },
}


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


requires_redis = pytest.mark.skipif(not redis_reachable(), reason="needs Redis on 127.0.0.1:6379")


def fixed() -> float:
    return NOW


@pytest.fixture
async def prefix():
    """A random Redis key prefix, its keys deleted afterwards."""
    prefix = f"accord-test:{uuid.uuid4().hex}:"
    yield prefix
    if redis_reachable():
        connection = resp.Connection(REDIS_URL)
        for key in await connection.call("KEYS", f"{prefix}*", seconds=5) or []:
            await connection.call("DEL", key.decode(), seconds=5)
        await connection.aclose()


async def cost_of(client, app, body, headers=None) -> int:
    answer, _ = await probe(client, app, body, headers)
    return answer["extensions"]["cost"]["requested"]


def client_at(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


def test_the_setting_chooses_where_the_budget_lives(settings) -> None:
    local = create_app(settings.model_copy(update={"cost_budget_per_minute": 7}))
    assert isinstance(local.state.cost_budget, InProcessBudget) and local.state.cost_budget.per_minute == 7
    shared = create_app(settings.model_copy(update={"redis_url": REDIS_URL}))
    assert isinstance(shared.state.cost_budget, RedisBudget)
    assert shared.state.cost_budget.per_minute == Settings.model_fields["cost_budget_per_minute"].default
    with pytest.raises(ValidationError, match="COST_BUDGET"):
        Settings(cost_budget_per_minute=0)


async def test_a_principal_over_its_budget_is_refused_before_anything_runs(client, app, admin, principals) -> None:
    cost = await cost_of(client, app, QUERY, admin)
    assert cost > 2
    # What the bearer check's two `{ __typename }` take, one answer, and one less than another.
    app.state.cost_budget = InProcessBudget(2 + cost + cost - 1, now=fixed)
    baseline = await bearer_check(client, app, admin)
    answered, _ = await probe(client, app, QUERY, admin)
    assert answered["extensions"]["cost"]["budgetRemaining"] == cost - 1
    body, seen = await probe(client, app, QUERY, admin)
    error = refused(body, "RATE_LIMITED")
    assert error["extensions"]["retryAfter"] == 30 and error["extensions"]["cost"] == cost
    assert body["extensions"]["cost"] == {"requested": cost, "limit": 50_000, "budgetRemaining": cost - 1}
    assert seen == baseline
    # The refusal spent nothing: a cheaper operation still fits; and the budget is this principal's.
    cheap, _ = await probe(client, app, {"query": "{ __typename }"}, admin)
    assert cheap["extensions"]["cost"]["budgetRemaining"] == cost - 2
    other, _ = await probe(client, app, QUERY, principals.staff["SUPPORT"].headers)
    assert "errors" not in other and other["extensions"]["cost"]["budgetRemaining"] == 2 + cost - 1


async def test_anonymous_requests_are_counted_by_client_address(app, session) -> None:
    app.state.cost_budget = InProcessBudget(3, now=fixed)
    async with client_at(app, "10.0.0.1") as first, client_at(app, "10.0.0.2") as second:
        for _ in range(3):
            answered, _ = await probe(first, app, {"query": "{ __typename }"})
            assert answered["data"] == {"__typename": "Query"}
        body, seen = await probe(first, app, REGISTER)
        assert refused(body, "RATE_LIMITED") and seen == []  # not even the registration's own budget
        registered, _ = await probe(second, app, REGISTER)
        assert registered["data"]["registerAccount"]["account"]["id"]


async def test_a_redis_outage_counts_in_process_and_says_so_once(app, caplog) -> None:
    app.state.cost_budget = RedisBudget("redis://127.0.0.1:1", 3, now=fixed)  # nothing listens there
    caplog.set_level(logging.WARNING, logger="accord.abuse")
    async with client_at(app, "10.0.0.3") as anonymous:
        for _ in range(3):
            answered, _ = await probe(anonymous, app, {"query": "{ __typename }"})
            assert answered["data"] == {"__typename": "Query"}
        body, seen = await probe(anonymous, app, {"query": "{ __typename }"})
        assert refused(body, "RATE_LIMITED") and seen == []
    assert [r.message for r in caplog.records if "Redis failed" in r.message] != []
    assert len([r for r in caplog.records if "Redis failed" in r.message]) == 1


@requires_redis
async def test_two_app_instances_share_one_budget_through_redis(client, app, admin, settings, clock, prefix) -> None:
    cost = await cost_of(client, app, QUERY, admin)
    limit = 2 + cost + cost - 1
    other = create_app(settings, clock=clock)
    app.state.cost_budget = RedisBudget(REDIS_URL, limit, prefix=prefix, now=fixed)
    other.state.cost_budget = RedisBudget(REDIS_URL, limit, prefix=prefix, now=fixed)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://127.0.0.1:8000") as second:
        baseline = await bearer_check(second, other, admin)
        answered, _ = await probe(client, app, QUERY, admin)
        assert answered["extensions"]["cost"]["budgetRemaining"] == cost - 1
        body, seen = await probe(second, other, QUERY, admin)
        assert refused(body, "RATE_LIMITED")["extensions"]["retryAfter"] == 30 and seen == baseline
        cheap, _ = await probe(second, other, {"query": "{ __typename }"}, admin)
        assert cheap["extensions"]["cost"]["budgetRemaining"] == cost - 2
        again, _ = await probe(client, app, {"query": "{ __typename }"}, admin)
        assert again["extensions"]["cost"]["budgetRemaining"] == cost - 3
    await other.state.cost_budget.close()
    await app.state.cost_budget.close()
    await other.state.engine.dispose()


@requires_redis
async def test_redis_spends_are_atomic_across_connections(prefix) -> None:
    """Two processes' connections race for one budget: exactly what fits is spent."""
    first, second = (RedisBudget(REDIS_URL, 200, prefix=prefix, now=fixed) for _ in range(2))
    spent = await asyncio.gather(*(budget.spend("racer", 10) for _ in range(25) for budget in (first, second)))
    assert sum(s.allowed for s in spent) == 20
    assert min(s.remaining for s in spent if s.allowed) == 0
    await first.close()
    await second.close()


async def test_the_in_process_budget_keeps_one_minute_and_a_bounded_number_of_principals(monkeypatch) -> None:
    monkeypatch.setattr(budgets, "MAX_TRACKED", 3)
    now = [NOW]
    budget = InProcessBudget(10, now=lambda: now[0])
    assert (await budget.spend("a", 10)).allowed and not (await budget.spend("a", 1)).allowed
    for name in "bcde":
        await budget.spend(name, 1)
    assert budget.tracked == 3  # the oldest counters were dropped, not kept without limit
    now[0] += 30  # the next minute: a fresh budget
    assert (await budget.spend("b", 10)).allowed and budget.tracked == 1


async def test_a_subscription_over_the_budget_is_refused_over_the_websocket(
    app, principals, clock, database_url
) -> None:
    """graphql-transport-ws: a subscription spends its cost once, when it starts; over the
    budget it is refused with RATE_LIMITED instead of subscribed (`accord serve`, a real socket)."""
    from tests.e2e.server import Server
    from tests.webhooks.test_subscription import real_time, refusal, subscribe

    await real_time(clock, principals)
    token = await principals.login(principals.holder_a)
    env = {"ACCORD_ENV": "test", "ACCORD_SWEEP_SECONDS": "0", "ACCORD_ISSUER": "http://127.0.0.1:8000"}
    with Server(database_url, **env, ACCORD_COST_BUDGET_PER_MINUTE="4") as server:  # the subscription costs 5
        ws = await subscribe(server.url, token)
        assert await refusal(ws) == "RATE_LIMITED"
        await ws.close()
