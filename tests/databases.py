"""Throw-away databases for tests: one migrated template per run, one copy per test.

SQLite by default; PostgreSQL when ACCORD_TEST_POSTGRES_URL is set (CI). Every database has a
random name and is dropped afterwards, so whatever an earlier run left in `test` is harmless.
"""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from api.db import create_engine
from api.migrate import upgrade

POSTGRES_URL = os.environ.get("ACCORD_TEST_POSTGRES_URL")


def _asyncpg_dsn(url: str, database: str) -> str:
    parsed = make_url(url).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


class Databases:
    def __init__(self) -> None:
        self.backend = "postgresql" if POSTGRES_URL else "sqlite"
        self.tag = uuid.uuid4().hex[:10]
        self.created: list[str] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="accord-tests-"))
        self.template: str | None = None

    def url_for(self, name: str) -> str:
        if POSTGRES_URL:
            return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        return f"sqlite+aiosqlite:///{self.tmp / name}.db"

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL, make_url(POSTGRES_URL).database))

    async def empty(self) -> str:
        """A new database with nothing in it; returns its URL."""
        name = f"accord_{self.tag}_{len(self.created)}"
        if POSTGRES_URL:
            conn = await self._admin()
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()
        self.created.append(name)
        return self.url_for(name)

    async def migrated(self) -> str:
        """A new database at the latest migration (copied from a migrated template)."""
        if self.template is None:
            url = await self.empty()
            engine = create_engine(url)
            await upgrade(engine)
            await engine.dispose()
            self.template = make_url(url).database if POSTGRES_URL else url
        name = f"accord_{self.tag}_{len(self.created)}"
        if POSTGRES_URL:
            conn = await self._admin()
            try:
                await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            finally:
                await conn.close()
        else:
            shutil.copy(make_url(self.template).database, self.tmp / f"{name}.db")
        self.created.append(name)
        return self.url_for(name)

    async def drop_all(self) -> None:
        if POSTGRES_URL:
            conn = await self._admin()
            try:
                for name in reversed(self.created):
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
