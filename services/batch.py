"""Set-based helpers: one query for the rows of many parents (the batch function behind a
list DataLoader), row locks, dialect-aware INSERTs and the rows a bulk INSERT takes."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import new_id


async def rows_by(
    session: AsyncSession, model: Any, column: Any, keys: Sequence[Any], *, order_by: Any = None, where: Any = None
) -> dict[Any, list[Any]]:
    """{key: rows whose ``column`` equals it (and match ``where``)}, every key present, rows in
    ``order_by`` (default: id)."""
    found: dict[Any, list[Any]] = {key: [] for key in keys}
    query = select(model).where(column.in_(keys)).order_by(model.id if order_by is None else order_by)
    if where is not None:
        query = query.where(where)
    for row in (await session.execute(query)).scalars():
        found[getattr(row, column.key)].append(row)
    return found


def for_update(query: Any, *, skip_locked: bool = False) -> Any:
    """``SELECT … FOR NO KEY UPDATE``: excludes other writers of the row, but not the
    ``FOR KEY SHARE`` lock that inserting a row referencing it takes (the foreign-key check).
    Plain ``FOR UPDATE`` would make every insert of an audit record, entry or top-up wait for
    it, and two transactions that each inserted such a row first would then deadlock on it."""
    return query.with_for_update(key_share=True, skip_locked=skip_locked)


async def locked(session: AsyncSession, model: Any, key: Any) -> Any:
    """The row under ``for_update``, re-read even when the session already holds a possibly
    stale copy of it. SQLite has no row locks and ignores the clause: there a transaction that
    may write took the database's write lock when it began (``BEGIN IMMEDIATE``, api/db.py),
    which is what serialises writers. Without that, a transaction that had read could not
    upgrade to a writer while another wrote ("database is locked", whatever the busy timeout)."""
    query = for_update(select(model).where(model.id == key)).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


def insert_for(session: AsyncSession, model: Any) -> Any:
    """An INSERT with ``on_conflict_do_nothing`` / ``on_conflict_do_update`` for the session's
    database (both dialects spell it the same; the generic INSERT has neither)."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def new_row(now: datetime, **columns: Any) -> dict[str, Any]:
    """A row for a bulk INSERT, with the columns every table shares (``models.base.Base``),
    which an INSERT of plain dicts does not fill in: a new UUIDv7 key (unless ``columns``
    names one) and ``now`` as creation and update time."""
    if "id" in columns:
        return {"created_at": now, "updated_at": now} | columns
    return {"id": new_id(), "created_at": now, "updated_at": now} | columns
