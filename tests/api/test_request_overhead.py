"""What every request costs before its resolvers run (issue 15): the bearer check is one SQL
statement, still read on every request (AUTH-4: a revocation bites on the next one, in any
process); the simulated clock is read by the request's own session (one session, one
connection per request); a document is parsed and validated once per process."""

import contextlib

import httpx
from sqlalchemy import event

from api.app import create_app
from api.settings import Environment, Settings
from schema.extensions import _parsed, _validated
from services.clock import FixedClock
from tests.conftest import DEFAULT_NOW, gql
from tests.principals import token_for
from tests.test_query_counts import statements

TYPENAME = "{ __typename }"


def selects(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


@contextlib.asynccontextmanager
async def process(database_url: str, **settings):
    """Another server process on the same database (its own app, engine and caches)."""
    app = create_app(
        Settings(database_url=database_url, env=Environment.TEST, sweep_seconds=0, **settings),
        clock=FixedClock(DEFAULT_NOW),
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as client,
    ):
        yield app, client


@contextlib.contextmanager
def checkouts(app):
    """Connections the request took from the pool (one per session)."""
    seen: list[object] = []
    engine = app.state.engine.sync_engine
    listener = lambda *args: seen.append(args[1])  # noqa: E731
    event.listen(engine, "checkout", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "checkout", listener)


async def test_auth4_bearer_check_is_one_statement(app, client, principals) -> None:
    headers = principals.holder_a.headers
    await gql(client, TYPENAME, headers=headers)  # logs in, warms the key cache
    for who in (principals.holder_a, principals.sub_a, principals.staff["ADMIN"]):
        await gql(client, TYPENAME, headers=who.headers)
        with statements(app) as seen:
            body = await gql(client, TYPENAME, headers=who.headers)
        assert body["data"] == {"__typename": "Query"}
        assert len(selects(seen)) == 1, seen


async def test_auth4_revocation_bites_on_the_next_request_in_every_process(client, principals, database_url) -> None:
    token = (await token_for(client, principals.holder_a.login))["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    async with process(database_url) as (_, other):
        for http in (client, other):  # both processes have checked (and cached what they may)
            assert (await http.post("/graphql", json={"query": TYPENAME}, headers=headers)).status_code == 200
        revoked = await client.post("/oauth/revoke", data={"token": token, "client_id": "console"})
        assert revoked.status_code == 200
        for http in (client, other):
            answer = await http.post("/graphql", json={"query": TYPENAME}, headers=headers)
            assert answer.status_code == 401, answer.text


async def test_t5_simulated_clock_is_read_by_the_requests_own_session(client, principals, database_url) -> None:
    token = (await token_for(client, principals.holder_a.login))["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    async with process(database_url, simulated_clock=True) as (app, http):
        await http.post("/graphql", json={"query": TYPENAME}, headers=headers)
        with checkouts(app) as taken, statements(app) as seen:
            answer = await http.post("/graphql", json={"query": TYPENAME}, headers=headers)
            assert answer.status_code == 200
        assert len(taken) == 1, taken  # one session, one connection
        assert len(selects(seen)) == 2, seen  # the offset and the bearer check
        with checkouts(app) as taken:
            assert (await http.get("/healthz")).status_code == 200
        assert taken == []  # a request that needs no database opens none


async def test_documents_are_parsed_and_validated_once(client, principals) -> None:
    query = "query Once { viewer { kind } }"
    headers = principals.holder_a.headers
    await gql(client, query, headers=headers)
    parsed, validated = _parsed.cache_info(), _validated.cache_info()
    for _ in range(3):
        await gql(client, query, headers=headers)
    assert _parsed.cache_info().misses == parsed.misses
    assert _validated.cache_info().misses == validated.misses
    assert _validated.cache_info().hits >= validated.hits + 3
    # A document the limits refuse is refused from the cache too.
    deep = "{ viewer { account { apps { edges { node { account { apps { edges { node { account { apps { edges { node { id } } } } } } } } } } } } } }"
    for _ in range(2):
        body = (await client.post("/graphql", json={"query": deep}, headers=headers)).json()
        assert "exceeds maximum operation depth" in body["errors"][0]["message"]
