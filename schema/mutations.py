"""The one helper every mutation resolver goes through: audit, savepoint, userErrors."""

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from schema.context import AccordInfo
from schema.errors import user_errors
from schema.input_strings import arguments_problem, string_problem
from services.audit import Actor, audited
from services.errors import DomainError, InvalidInput

P = TypeVar("P")
R = TypeVar("R")


async def run_mutation(
    info: AccordInfo,
    *,
    payload: type[P],
    call: Callable[[], Awaitable[R]],
    ok: Callable[[R], P],
    target: str | None = None,
    account_id: uuid.UUID | None = None,
    actor: Actor | None = None,
    account_of: Callable[[R], uuid.UUID] | None = None,
) -> P:
    """``actor`` defaults to the request's principal (registration passes its own)."""
    context = info.context
    # strawberry's AccordInfo has no public accessor for the field's argument nodes.
    field_node = info._raw_info.field_nodes[0]
    refused = arguments_problem(field_node.arguments or (), info.variable_values)
    if refused is not None:  # NUL or a lone surrogate: refused before the service sees it
        field, problem = refused
        if target is not None and string_problem(target):
            target = None  # built from the refused text: the audit record could not hold it

        async def call() -> R:
            raise InvalidInput(problem, field=field)

    try:
        result = await audited(
            context.session,
            clock=context.clock,
            actor=actor or context.actor,
            action=info.field_name,
            call=call,
            target=target,
            account_id=account_id,
            account_of=account_of,
        )
    except DomainError as error:
        return payload(user_errors=user_errors(error))
    return ok(result)
