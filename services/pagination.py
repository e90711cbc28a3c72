"""Keyset pagination on UUIDv7 keys: stable under inserts, one query per page."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_PAGE = 100

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    has_next: bool


async def keyset_page(
    session: AsyncSession, query: Select[Any], id_column: Any, *, first: int, after: uuid.UUID | None
) -> Page[Any]:
    """``first`` rows with ``id_column`` greater than ``after``, in key order."""
    if after is not None:
        query = query.where(id_column > after)
    rows = (await session.execute(query.order_by(id_column).limit(first + 1))).scalars().all()
    return Page(items=rows[:first], has_next=len(rows) > first)
