"""The two shapes of account mutations: a holder acting on their own account, and staff acting
on an account named by its global ID (NOT_FOUND for anything else, audited on that account)."""

from collections.abc import Awaitable, Callable

from models import Account as AccountRow
from schema.accounts.payloads import AccountPayload
from schema.accounts.types import Account
from schema.context import AccordInfo, Context
from schema.ids import key_of, key_or_none
from schema.mutations import run_mutation
from services.accounts import service


async def named_account(context: Context, account_gid: str) -> AccountRow:
    """The account a staff mutation names by its global ID (NOT_FOUND for anything else)."""
    key = key_of(account_gid, "Account", "accountId")
    return await service.account_in_scope(context.session, account_id=key, scope=None)


async def own_account(context: Context) -> AccountRow:
    return await service.account_in_scope(context.session, account_id=context.principal.account_id, scope=None)


def _payload(row: AccountRow) -> AccountPayload:
    return AccountPayload(account=Account.from_model(row))


async def holder_account_mutation(info: AccordInfo, act: Callable[[AccountRow], Awaitable[object]]) -> AccountPayload:
    async def call() -> AccountRow:
        account = await own_account(info.context)
        await act(account)
        return account

    return await run_mutation(info, payload=AccountPayload, call=call, ok=_payload)


async def staff_account_mutation(
    info: AccordInfo, account_gid: str, act: Callable[[AccountRow], Awaitable[object]]
) -> AccountPayload:
    context = info.context

    async def call() -> AccountRow:
        account = await named_account(context, account_gid)
        await act(account)
        return account

    return await run_mutation(
        info,
        payload=AccountPayload,
        call=call,
        target=str(account_gid),
        account_id=key_or_none(account_gid, "Account"),
        ok=_payload,
    )
