"""Keyset pagination on UUIDv7 keys: stable under inserts, one query per page."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

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


async def keyset_pages(
    session: AsyncSession, model: Any, parent_column: Any, parents: Sequence[Any], *, first: int, where: Any = None
) -> dict[Any, Page[Any]]:
    """The first page (no cursor) of each of many parents, in one query: the rows of every
    parent numbered in key order by a window function, the first ``first + 1`` of each kept
    (the extra row says whether there is a next page). Behind the DataLoaders of connections
    nested in list items (``accounts { apps }``), so they cost one query, not one per parent."""
    if len(parents) == 1:
        # One parent (a holder's own account, the console's first screen): the plain keyset
        # query, a top-N sort of the parent's rows where the window numbers every one of them,
        # and cheaper to build (no aliased subquery per call; issue 15). Same rows, same order.
        parent = parents[0]
        # The mapper, not the class: select(Model) first asks the class for __clause_element__,
        # which pydantic's metaclass answers by raising AttributeError (costly, on every call).
        query = select(inspect(model)).where(parent_column == parent)
        if where is not None:
            query = query.where(where)
        return {parent: await keyset_page(session, query, model.id, first=first, after=None)}
    number = func.row_number().over(partition_by=parent_column, order_by=model.id).label("row_number")
    inner = select(model, number).where(parent_column.in_(parents))
    if where is not None:
        inner = inner.where(where)
    numbered = inner.subquery()
    rows = aliased(model, numbered)
    query = select(rows).where(numbered.c.row_number <= first + 1).order_by(numbered.c.id)
    found: dict[Any, list[Any]] = {parent: [] for parent in parents}
    for row in (await session.execute(query)).scalars():
        found[getattr(row, parent_column.key)].append(row)
    return {parent: Page(items=items[:first], has_next=len(items) > first) for parent, items in found.items()}
