"""Reading accounts through the principal's scope (SEC-1); staff reads are audited."""

import uuid

from models import Account as AccountRow
from schema.accounts.types import Account
from schema.context import Context
from schema.errors import PublicError
from schema.relay import Connection, node_fetcher, paginate
from schema.scoped import read_scope, record_staff_read
from services import audit
from services.accounts import repository
from services.errors import ErrorCode
from services.pagination import Page

# A search term is a name, an email or a login, never longer: the cap keeps a 1 MiB term from
# becoming four 1 MiB LIKE patterns.
MAX_SEARCH = 100


async def read_account(context: Context, key: uuid.UUID) -> Account | None:
    """Every member of the account reads it (holder, any sub-account whatever its grants, its
    partner clients), and staff read every account; each field then asks for its own grant.
    Another account is simply not found."""
    scope = read_scope(context.principal)
    if scope is None or (scope.account_id is not None and scope.account_id != key):
        return None
    row = await repository.get_account(context.session, key)
    if row is None:
        return None
    await record_staff_read(context, account_id=row.id, target=f"account:{row.id}")
    return Account.from_model(row)


async def read_accounts(
    context: Context, *, first: int | None, after: str | None, search: str | None
) -> Connection[Account]:
    """Staff only (the field says so); every listed account gets an audit record."""
    return await paginate(first, after, _audited_page, Account.from_model, context, search=search)


async def _audited_page(
    context: Context, *, first: int, after: uuid.UUID | None, search: str | None
) -> Page[AccountRow]:
    if search is not None and len(search) > MAX_SEARCH:
        raise PublicError(f"`search` is at most {MAX_SEARCH} characters", ErrorCode.INVALID.value, field=["search"])
    page = await repository.page_accounts(context.session, first=first, after=after, search=search)
    await audit.record_many(
        context.session,
        clock=context.clock,
        actor=context.actor,
        action="accounts.list",
        targets=[(row.id, f"account:{row.id}") for row in page.items],
        detail=f"search={search!r}" if search else None,
    )
    return page


@node_fetcher("Account")
async def fetch_account(context: Context, key: uuid.UUID) -> Account | None:
    return await read_account(context, key)
