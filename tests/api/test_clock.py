"""T-5: one clock object; staff may move a simulated clock (ACCORD_SIMULATED_CLOCK=1 only),
and every process sees the move because the offset lives in the database."""

import contextlib
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from api.app import create_app
from api.settings import Environment, Settings
from models import ProfileChange
from services.clock import FixedClock
from tests.accounts.helpers import errors
from tests.conftest import DEFAULT_NOW, gql
from tests.principals import Principals, token_for

SET_CLOCK = "mutation S($now: DateTime!) { setClock(input: {now: $now}) { now userErrors { code } } }"
UPDATE = (
    "mutation U($input: UpdateAccountProfileInput!) { updateAccountProfile(input: $input) { userErrors { code } } }"
)


@contextlib.asynccontextmanager
async def process(database_url: str):
    """Another server process on the same database: its own app, its own base clock."""
    app = create_app(
        Settings(database_url=database_url, env=Environment.TEST, simulated_clock=True), clock=FixedClock(DEFAULT_NOW)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as client,
    ):
        yield client


async def test_t5_set_clock_needs_the_simulation_and_admin(client, principals) -> None:
    now = {"now": "2026-10-09T10:00:00+08:00"}
    assert (
        errors(await gql(client, SET_CLOCK, now, headers=principals.staff["FINANCE"].headers))[0]["code"]
        == "INSUFFICIENT_PERMISSION"
    )
    assert (
        errors(await gql(client, SET_CLOCK, now, headers=principals.staff["ADMIN"].headers))[0]["code"]
        == "INVALID_STATE"
    )


async def test_t5_a_moved_clock_is_seen_by_every_process(database_url, session) -> None:
    async with process(database_url) as first, process(database_url) as second:
        people = await Principals(session, first).setup()
        await people.login(people.holder_b)  # issued before the move, used on the other process
        moved = await gql(first, SET_CLOCK, {"now": "2026-10-09T10:00:00+08:00"}, headers=people.staff["ADMIN"].headers)
        assert moved["data"]["setClock"]["now"] == "2026-10-09T02:00:00+00:00"

        # Tokens run on the real clock: one issued before the move still works everywhere, and
        # so does a new one.
        assert (
            await second.post("/graphql", json={"query": "{ viewer { kind } }"}, headers=people.holder_b.headers)
        ).status_code == 200
        token = (await token_for(second, people.holder_a.login))["access_token"]
        body = await gql(
            second,
            UPDATE,
            {"input": {"email": "t5@a.example.cn", "effectiveOn": "2026-09-29"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert body["data"]["updateAccountProfile"]["userErrors"] == []
        reported = (await session.execute(select(ProfileChange.reported_at, ProfileChange.late))).one()
        assert reported == (datetime(2026, 10, 9, 2, 0, tzinfo=UTC), False)  # in time across National Day
