"""T-5 (as amended): security time is not business time. With the simulated clock on, moving it
neither logs anyone out nor lets an expired token back in; lock-outs and rate windows run on
the real clock. (In these tests the app's base clock, ``clock``, plays the real clock.)"""

from datetime import timedelta

import pytest

from api.settings import Environment, Settings
from tests.accounts.queries import REGISTER
from tests.accounts.test_registration_and_profile import NEW_ACCOUNT
from tests.conftest import gql
from tests.principals import PASSWORD, authorize_params, pkce_pair, token_for

SET_CLOCK = "mutation S($now: DateTime!) { setClock(input: {now: $now}) { now userErrors { code } } }"
VIEWER = {"query": "{ viewer { kind } }"}


@pytest.fixture
def settings(database_url: str, outbox) -> Settings:
    return Settings(
        database_url=database_url, env=Environment.TEST, outbox_dir=str(outbox), sweep_seconds=0, simulated_clock=True
    )


async def set_clock(client, principals, to) -> None:
    body = await gql(client, SET_CLOCK, {"now": to.isoformat()}, headers=principals.staff["ADMIN"].headers)
    assert body["data"]["setClock"]["userErrors"] == [], body


async def test_t5_moving_the_simulated_clock_keeps_tokens_working(client, principals, clock) -> None:
    await principals.login(principals.holder_a)  # its token is issued before the clock moves
    holder = principals.holder_a.headers
    refresh = (await token_for(client, principals.holder_b.login))["refresh_token"]

    await set_clock(client, principals, clock.now() - timedelta(days=1))  # back: no "issued in the future"
    assert (await client.post("/graphql", json=VIEWER, headers=holder)).status_code == 200

    await set_clock(client, principals, clock.now() + timedelta(days=31))  # a month on: nothing expired
    assert (await client.post("/graphql", json=VIEWER, headers=holder)).status_code == 200
    refreshed = await client.post(
        "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "console"}
    )
    assert refreshed.status_code == 200
    # A support agent walks the month on, step by step, with the one token.
    for day in range(2, 6):
        await set_clock(client, principals, clock.now() + timedelta(days=31 + day))
    assert (await client.post("/graphql", json=VIEWER, headers=holder)).status_code == 200


async def test_t5_a_token_past_its_real_expiry_stays_refused_when_the_clock_moves_back(
    client, principals, clock
) -> None:
    await principals.login(principals.holder_a)
    expired = principals.holder_a.headers
    clock.advance(timedelta(minutes=15, seconds=1))  # real time passes the token's 15 minutes
    assert (await client.post("/graphql", json=VIEWER, headers=expired)).status_code == 401
    await principals.relogin()
    # Simulated "now" back within the token's lifetime (issued 16 minutes ago, so 5 minutes in).
    await set_clock(client, principals, clock.now() - timedelta(minutes=11))
    assert (await client.post("/graphql", json=VIEWER, headers=expired)).status_code == 401


async def test_t5_login_lockout_runs_on_the_real_clock(client, principals, clock) -> None:
    params = authorize_params(pkce_pair()[1])
    login = principals.holder_a.login
    for _ in range(5):
        await client.post("/oauth/authorize", params=params, data={"login": login, "password": "wrong-password"})
    await set_clock(client, principals, clock.now() + timedelta(hours=2))  # the simulation moves on...
    locked = await client.post("/oauth/authorize", params=params, data={"login": login, "password": PASSWORD})
    assert locked.status_code == 401  # ...the lock-out does not
    clock.advance(timedelta(minutes=16))  # real time passes the window
    opened = await client.post("/oauth/authorize", params=params, data={"login": login, "password": PASSWORD})
    assert opened.status_code == 302


async def test_t5_the_registration_budget_runs_on_the_real_clock(client, principals, clock) -> None:
    for i in range(10):
        await gql(client, REGISTER, {"input": NEW_ACCOUNT | {"login": f"t5-{i}@example.cn", "phone": "bad"}})
    await set_clock(client, principals, clock.now() + timedelta(days=1))
    limited = await gql(client, REGISTER, {"input": NEW_ACCOUNT})
    assert limited["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    clock.advance(timedelta(hours=1, minutes=1))
    allowed = await gql(client, REGISTER, {"input": NEW_ACCOUNT})
    assert allowed["data"]["registerAccount"]["userErrors"] == []
