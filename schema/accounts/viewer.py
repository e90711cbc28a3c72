"""The signed-in principal, and its own account."""

import uuid

import strawberry

from auth.principal import StaffRole
from schema.accounts.reads import read_account
from schema.accounts.types import Account
from schema.context import AccordInfo
from schema.enums import PrincipalKind


@strawberry.type
class Viewer:
    kind: PrincipalKind
    staff_roles: list[StaffRole]
    permissions: list[str]
    account_key: strawberry.Private[uuid.UUID | None]

    @strawberry.field(
        description="The principal's own account, for every member of it (each field asks for its own grant)."
    )
    async def account(self, info: AccordInfo) -> Account | None:
        if self.account_key is None:
            return None
        return await read_account(info.context, self.account_key)
