"""SEC-1 by construction: one row read by (scope, key), the scope inside the query.

``account_id`` is the reader's account; None is staff's scope (every account). Another
account's row is never read, so no caller can forget to check whose it is afterwards.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.batch import for_update


async def one_in_scope(
    session: AsyncSession,
    model: Any,
    key: uuid.UUID,
    *,
    account_id: uuid.UUID | None,
    where: Sequence[Any] = (),
    lock: bool = False,
) -> Any | None:
    """The row ``key`` of ``model`` (also matching ``where``) if it belongs to ``account_id``.
    With ``lock``, under its row lock (``services.batch.locked``), re-read even when the
    session already holds a possibly stale copy."""
    query = select(model).where(model.id == key, *where)
    if account_id is not None:
        query = query.where(model.account_id == account_id)
    if lock:
        query = for_update(query).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()
