"""The scratch database every benchmark runs in: created with a random name on the server that
ACCORD_BENCH_POSTGRES_URL (or ACCORD_TEST_POSTGRES_URL) names, migrated, dropped afterwards."""

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.engine import make_url

from api.db import create_engine
from api.migrate import upgrade


def dsn(url: str, database: str) -> str:
    """asyncpg's form of a SQLAlchemy URL, for ``database``."""
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def migrated_database() -> AsyncIterator[tuple[str, str]]:
    """(SQLAlchemy URL, asyncpg DSN) of a fresh database at the latest migration."""
    base = os.environ.get("ACCORD_BENCH_POSTGRES_URL") or os.environ.get("ACCORD_TEST_POSTGRES_URL")
    if not base:
        raise SystemExit("set ACCORD_BENCH_POSTGRES_URL (a PostgreSQL URL); the figure is about PostgreSQL")
    name = f"accord_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(dsn(base, make_url(base).database))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        yield url, dsn(base, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
