"""Shared fixtures: a fresh migrated database per test, the real app, an HTTP client."""

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import create_engine, deferred_options, session_factory
from api.settings import Environment, Settings
from services.clock import FixedClock
from tests.databases import POSTGRES_URL, Databases

requires_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set ACCORD_TEST_POSTGRES_URL")

# A Wednesday before the 2026 National Day break.
DEFAULT_NOW = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
async def databases() -> AsyncIterator[Databases]:
    dbs = Databases()
    yield dbs
    await dbs.drop_all()


@pytest.fixture
async def database_url(databases: Databases) -> str:
    return await databases.migrated()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def outbox(tmp_path):
    """Where the app's development mailer writes notice emails (one .eml file each)."""
    return tmp_path / "outbox"


@pytest.fixture
def settings(database_url: str, outbox) -> Settings:
    # No background sweep: tests run it when they mean to (runDueJobs, `accord jobs run`).
    return Settings(database_url=database_url, env=Environment.TEST, outbox_dir=str(outbox), sweep_seconds=0)


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    """A session on the test's database, for calling services and asserting what is stored.
    Its transactions are deferred on SQLite: a test that reads while the app serves must not
    hold the write lock the app's requests take (api/db.py)."""
    engine = create_engine(database_url, execution_options=deferred_options())
    async with session_factory(engine)() as db:
        yield db
    await engine.dispose()


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> AsyncIterator[object]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    # A loopback origin: the console's default redirect URI lives there, and OAuth over plain
    # HTTP is only acceptable on loopback.
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        yield http


@pytest.fixture
async def principals(session, client, clock):
    from tests.principals import Principals

    return await Principals(session, client, clock).setup()


@pytest.fixture
async def admin(principals):
    """Headers of an ADMIN staff token, for tests that only need some valid principal. Logged
    in now: tests set these as the client's default headers, which the login itself sends."""
    await principals.login(principals.staff["ADMIN"])
    return principals.staff["ADMIN"].headers


async def gql(client: httpx.AsyncClient, query: str, variables: dict | None = None, **kwargs) -> dict:
    """POST a GraphQL operation; returns the decoded body (status checked by the caller)."""
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def answered(body: dict) -> dict:
    """The body without its ``extensions`` (each answer reports its query cost there, which a
    test comparing a whole body is not about): data and errors, exactly."""
    return {key: value for key, value in body.items() if key != "extensions"}


def in_ci() -> bool:
    return os.environ.get("CI") == "true"
