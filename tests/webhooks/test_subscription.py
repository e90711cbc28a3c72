"""Issue 14: ``Subscription.accountEvents`` over graphql-transport-ws. The subscriber is
connected to a second app process (`accord serve`); the event comes from another client's
mutation on this test's app, and reaches it across processes (PostgreSQL LISTEN/NOTIFY,
SQLite polling of the outbox, or Redis pub/sub). Another account's events never arrive."""

import asyncio
import contextlib
import json
import socket
from datetime import UTC, datetime

import httpx
import pytest
import websockets

from schema.relay import encode_id
from tests.e2e.server import Server
from tests.factories import requested_online_top_up

SUBSCRIBE = "subscription S($types: [String!]) { accountEvents(types: $types) { id type occurredAt payload } }"
REDIS = "redis://127.0.0.1:6379/0"


def redis_running() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


async def real_time(clock, principals) -> None:
    """The server process checks tokens on the real clock: issue them now."""
    clock.set(datetime.now(UTC))
    await principals.relogin()


async def subscribe(url: str, token: str | None, variables: dict | None = None):
    ws = await websockets.connect(url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"])
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert ack["type"] == "connection_ack", ack
    await ws.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": variables or {}}})
    )
    return ws


async def until_live(ws, client, who) -> None:
    """The protocol does not acknowledge a subscription: cause events of the subscriber's own
    account until one arrives (the stream carries what is recorded after it started)."""
    for attempt in range(20):
        await requested_online_top_up(client, who, amount="1.00", key=f"warm-up-{attempt}")
        try:
            message = await next_message(ws, seconds=3)
        except TimeoutError:
            continue
        assert message["type"] == "next", message
        while True:  # drain the warm-up events that were still on their way
            try:
                await next_message(ws, seconds=1)
            except TimeoutError:
                return
    raise AssertionError("the subscription never became live")


async def refusal(ws) -> str:
    """The error code of a refused subscription (an ``error`` message, or ``next`` with errors)."""
    message = await next_message(ws, 10)
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    return errors[0]["extensions"]["code"]


async def next_message(ws, seconds: float = 30) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), seconds))


@pytest.fixture(params=["database", "redis"])
def fan_out(request, settings):
    if request.param == "redis":
        if not redis_running():
            pytest.skip("no Redis on 127.0.0.1:6379")
        return {"ACCORD_REDIS_URL": REDIS}
    return {}


async def test_sec1_events_reach_the_subscriber_through_a_second_process(
    fan_out, app, client, principals, clock, database_url, tmp_path
) -> None:
    await real_time(clock, principals)
    token_a = await principals.login(principals.holder_a)
    await principals.login(principals.holder_b)
    env = {
        "ACCORD_ENV": "test",
        "ACCORD_SWEEP_SECONDS": "0",
        "ACCORD_OUTBOX_DIR": str(tmp_path / "mail"),
        "ACCORD_ISSUER": "http://127.0.0.1:8000",  # the tokens this test's app issued
        # Only a wake-up (NOTIFY, Redis, SQLite's poll) can bring the event within the test.
        "ACCORD_LIVE_IDLE_SECONDS": "600",
        **fan_out,
    }
    with contextlib.ExitStack() as processes:
        server = processes.enter_context(Server(database_url, **env))
        if fan_out:
            # Redis: the mutations go through a third process too, so both the publisher and
            # the subscriber are real `accord serve` processes with ACCORD_REDIS_URL.
            writer = processes.enter_context(Server(database_url, **env))
            client = httpx.AsyncClient(base_url=writer.url, timeout=30)
        ws = await subscribe(server.url, token_a)
        try:
            await until_live(ws, client, principals.holder_a)
            # Another account's event first: it must never arrive here.
            b_top_up = await requested_online_top_up(client, principals.holder_b, amount="99.00", key="b-1")
            top_up = await requested_online_top_up(client, principals.holder_a, amount="10.00", key="a-1")
            bodies = []
            while not bodies or bodies[-1]["data"]["topUp"] != top_up:  # late warm-up events may come first
                message = await next_message(ws)
                assert message["type"] == "next", message
                event = message["payload"]["data"]["accountEvents"]
                assert event["type"] == "topup.pending" and event["id"].startswith("evt_")
                bodies.append(json.loads(event["payload"]))
                assert bodies[-1]["id"] == event["id"]
            assert bodies[-1]["data"]["amount"] == "10.00"
            with contextlib.suppress(TimeoutError):
                while True:
                    bodies.append(
                        json.loads((await next_message(ws, seconds=3))["payload"]["data"]["accountEvents"]["payload"])
                    )
            # Only account A's events, never B's.
            assert {b["accountId"] for b in bodies} == {encode_id("Account", principals.account_a.id)}
            assert b_top_up not in {b["data"]["topUp"] for b in bodies}
        finally:
            await ws.close()
            if fan_out:
                await client.aclose()


async def test_subscription_needs_a_token_and_an_account(app, client, principals, clock, database_url) -> None:
    await real_time(clock, principals)
    staff = await principals.login(principals.staff["ADMIN"])
    sub = await principals.login(principals.sub_a)  # account:read and billing:read
    env = {"ACCORD_ENV": "test", "ACCORD_SWEEP_SECONDS": "0", "ACCORD_ISSUER": "http://127.0.0.1:8000"}
    with Server(database_url, **env) as server:
        url = server.url.replace("http://", "ws://") + "/graphql"
        # No token: the connection is refused (4403).
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd.code == 4403
        # Staff have no account of their own to watch.
        ws = await subscribe(server.url, staff)
        assert await refusal(ws) == "INSUFFICIENT_PERMISSION"
        await ws.close()
        # A sub-account without apps:read may not ask for AppID events.
        ws = await subscribe(server.url, sub, {"types": ["app.secret_rotated"]})
        assert await refusal(ws) == "INSUFFICIENT_PERMISSION"
        await ws.close()
