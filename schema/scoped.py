"""What a principal may see (SEC-1, ACC-4, AUTH-2), and reading one object by its key, as
``node(id:)`` does. A leaf of the schema package: it imports no GraphQL type, so every type
module may use it.

Members of an account (its holder, sub-accounts, partner clients) read their own account's
objects, staff read every account's (each read audited on that account), nobody else reads
any. The scope goes into the repository's query, so another account's object is simply not
found: null, never a refusal that would say it exists. An object of one's own account that the
principal's grants do not cover is refused with INSUFFICIENT_PERMISSION, exactly like the list
field that shows it (its grant is the same ``Grant``).
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principal import Holder, Principal, Staff, StaffRole
from schema.context import Context
from schema.errors import PublicError
from schema.permissions import Grant
from schema.relay import node_fetcher
from services import audit
from services.errors import ErrorCode

# A repository read by (scope, key): ``account_id`` None is staff's scope, every account.
Finder = Callable[..., Awaitable[Any | None]]


@dataclass(frozen=True, slots=True)
class ReadScope:
    """The accounts a principal reads: ``account_id``, or every account when it is None."""

    account_id: uuid.UUID | None


def read_scope(principal: Principal | None) -> ReadScope | None:
    """None when the principal reads no account at all (no token, the metering client): it
    must never fall into staff's "every account"."""
    if isinstance(principal, Staff):
        return ReadScope(None)
    if principal is None or principal.account_id is None:
        return None
    return ReadScope(principal.account_id)


# The key a principal that reads no account gets: it matches no row.
NO_ACCOUNT = uuid.UUID(int=0)


def scope_of(context: Context) -> uuid.UUID | None:
    """SEC-1: the account a principal may see (None: staff see every account). A principal with
    no account that is not staff (the metering client) gets a key that matches no row: it must
    never fall into staff's "every account"."""
    scope = read_scope(context.principal)
    return NO_ACCOUNT if scope is None else scope.account_id


def sees_personal_numbers(context: Context, account_id: uuid.UUID) -> bool:
    """ACC-4: unmasked only to the account's holder and to COMPLIANCE staff."""
    principal = context.principal
    if isinstance(principal, Staff):
        return StaffRole.COMPLIANCE in principal.roles
    return isinstance(principal, Holder) and principal.account_id == account_id


def support_only(context: Context) -> bool:
    """AUTH-2: SUPPORT reads across accounts with personal data masked."""
    principal = context.principal
    return isinstance(principal, Staff) and principal.roles <= {StaffRole.SUPPORT}


def refused() -> PublicError:
    return PublicError("not permitted for this principal", ErrorCode.INSUFFICIENT_PERMISSION.value)


async def record_staff_read(context: Context, *, account_id: uuid.UUID | None, target: str) -> None:
    """SEC-1: staff may read any account, and every such read is audited on that account
    (an announcement to every customer belongs to no account and is no account's data)."""
    if isinstance(context.principal, Staff) and account_id is not None:
        await audit.record(
            context.session,
            clock=context.clock,
            actor=context.actor,
            action="account.read",
            target=target,
            account_id=account_id,
        )


def _account_of(row: Any) -> uuid.UUID | None:
    return row.account_id


async def read_owned(
    context: Context,
    key: uuid.UUID,
    *,
    find: Finder,
    grant: Grant,
    target: Callable[[Any], str],
    account_of: Callable[[Any], uuid.UUID | None] = _account_of,
) -> Any | None:
    """What ``find(session, key, account_id=…)`` returns in the principal's scope, or None."""
    scope = read_scope(context.principal)
    if scope is None:
        return None
    session: AsyncSession = context.session
    found = await find(session, key, account_id=scope.account_id)
    if found is None:
        return None  # another account's object, or none at all: not found either way
    if not grant.allows(context.principal):
        raise refused()
    await record_staff_read(context, account_id=account_of(found), target=target(found))
    return found


def owned_node(
    type_name: str,
    *,
    find: Finder,
    grant: Grant,
    to_node: Callable[[Any], Any],
    target: Callable[[Any], str],
    account_of: Callable[[Any], uuid.UUID | None] = _account_of,
) -> None:
    """Register how ``node(id:)`` fetches ``type_name``: through ``read_owned``."""

    async def fetch(context: Context, key: uuid.UUID) -> Any | None:
        found = await read_owned(context, key, find=find, grant=grant, target=target, account_of=account_of)
        return None if found is None else to_node(found)

    node_fetcher(type_name)(fetch)
