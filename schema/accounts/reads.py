"""Reading an account through the principal's scope (SEC-1); staff reads are audited."""

import uuid

from auth.principal import Staff
from schema.accounts.types import ACCOUNT_READERS, Account
from services import audit
from services.accounts import repository


async def read_account(context, key: uuid.UUID) -> Account | None:  # type: ignore[no-untyped-def]
    principal = context.principal
    if principal is None or not ACCOUNT_READERS.allows(principal):
        return None
    if not isinstance(principal, Staff) and principal.account_id != key:
        return None  # another account's object is simply not found
    row = await repository.get_account(context.session, key)
    if row is None:
        return None
    if isinstance(principal, Staff):
        await audit.record(
            context.session,
            clock=context.clock,
            actor=context.actor,
            action="account.read",
            target=f"account:{row.id}",
            account_id=row.id,
        )
    return Account.from_model(row)
