"""The one helper every mutation resolver goes through: audit, savepoint, userErrors."""

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from strawberry.types import Info

from schema.errors import user_errors
from services.audit import audited
from services.errors import DomainError

P = TypeVar("P")
R = TypeVar("R")


async def run_mutation(
    info: Info,
    *,
    payload: type[P],
    call: Callable[[], Awaitable[R]],
    ok: Callable[[R], P],
    target: str | None = None,
    account_id: uuid.UUID | None = None,
) -> P:
    context = info.context
    try:
        result = await audited(
            context.session,
            clock=context.clock,
            actor=context.actor,
            action=info.field_name,
            call=call,
            target=target,
            account_id=account_id,
        )
    except DomainError as error:
        return payload(user_errors=user_errors(error))  # type: ignore[call-arg]
    return ok(result)
