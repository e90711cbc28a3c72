import strawberry

from auth.passwords import hash_password, password_problem
from auth.principal import Staff
from auth.secrets import digest, new_secret
from schema.accounts.inputs import (
    AccountIdInput,
    CreatePartnerClientInput,
    CreateSubAccountInput,
    SetSubAccountPermissionsInput,
)
from schema.accounts.payloads import AccountPayload, PartnerClientPayload, SubAccountPayload
from schema.accounts.reads import read_account, read_accounts
from schema.accounts.types import Account, SubAccount
from schema.accounts.viewer import Viewer
from schema.context import AccordInfo
from schema.grants import HOLDER, HOLDER_COMPLIANCE_OR_ADMIN, PARTNER_WRITERS, STAFF_ONLY
from schema.ids import key_of, key_or_none
from schema.inputs import IdInput
from schema.mutations import run_mutation
from schema.permissions import Requires, allowed, authenticated
from schema.relay import Connection, decode_id
from schema.scoped import scope_of
from services.accounts import service
from services.errors import InvalidInput


@strawberry.type
class AccountQuery:
    @strawberry.field(extensions=authenticated())
    def viewer(self, info: AccordInfo) -> Viewer:
        principal = info.context.principal
        return Viewer(
            kind=principal.kind,
            staff_roles=sorted(principal.roles) if isinstance(principal, Staff) else [],
            permissions=sorted(s.value for s in principal.scopes),
            account_key=principal.account_id,
        )

    @strawberry.field(
        description="The viewer's own account when id is omitted; another account's only for staff.",
        extensions=authenticated(),
    )
    async def account(self, info: AccordInfo, id: strawberry.ID | None = None) -> Account | None:
        principal = info.context.principal
        if id is None:
            return None if principal.account_id is None else await read_account(info.context, principal.account_id)
        decoded = decode_id(id)
        if decoded is None or decoded[0] != "Account":
            return None
        return await read_account(info.context, decoded[1])

    @strawberry.field(description="Every account, searchable by name, email or login.", extensions=allowed(STAFF_ONLY))
    async def accounts(
        self, info: AccordInfo, first: int | None = 20, after: str | None = None, search: str | None = None
    ) -> Connection[Account]:
        return await read_accounts(info.context, first=first, after=after, search=search)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description="Every token of the account stops working on its next request (AUTH-4, ACC-6).",
        extensions=[Requires(HOLDER_COMPLIANCE_OR_ADMIN)],
    )
    async def revoke_all_tokens(self, info: AccordInfo, input: AccountIdInput) -> AccountPayload:
        context = info.context

        async def call():
            key = (
                context.principal.account_id
                if input.account_id is None
                else key_of(input.account_id, "Account", "accountId")
            )
            if key is None:
                raise InvalidInput("staff must name the account", field=["accountId"])
            account = await service.account_in_scope(context.session, account_id=key, scope=scope_of(context))
            return await service.revoke_all_tokens(context.session, account=account, now=context.clock.now())

        return await run_mutation(
            info,
            payload=AccountPayload,
            call=call,
            target=None if input.account_id is None else str(input.account_id),
            account_id=context.principal.account_id or key_or_none(input.account_id, "Account"),
            ok=lambda row: AccountPayload(account=Account.from_model(row)),
        )

    @strawberry.mutation(
        description="Create a sub-account with permissions from the fixed list (ACC-8).",
        extensions=[Requires(HOLDER)],
    )
    async def create_sub_account(self, info: AccordInfo, input: CreateSubAccountInput) -> SubAccountPayload:
        context = info.context

        async def call():
            if (problem := password_problem(input.password)) is not None:
                raise InvalidInput(problem, field=["password"])
            return await service.create_sub_account(
                context.session,
                account_id=context.principal.account_id,
                login=input.login,
                password_hash=hash_password(input.password),
                permissions=input.permissions,
            )

        return await run_mutation(
            info,
            payload=SubAccountPayload,
            call=call,
            target=f"user:{input.login}",
            ok=lambda row: SubAccountPayload(sub_account=SubAccount.from_model(row)),
        )

    @strawberry.mutation(
        description="Set a sub-account's permissions from the fixed list (ACC-8).",
        extensions=[Requires(HOLDER)],
    )
    async def set_sub_account_permissions(
        self, info: AccordInfo, input: SetSubAccountPermissionsInput
    ) -> SubAccountPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=SubAccountPayload,
            target=str(input.id),
            call=lambda: service.set_sub_account_permissions(
                context.session,
                account_id=context.principal.account_id,
                user_id=key_of(input.id, "SubAccount"),
                permissions=input.permissions,
            ),
            ok=lambda row: SubAccountPayload(sub_account=SubAccount.from_model(row)),
        )

    @strawberry.mutation(
        description="Disable a sub-account; its tokens stop working at once (ACC-8, AUTH-4).",
        extensions=[Requires(HOLDER)],
    )
    async def disable_sub_account(self, info: AccordInfo, input: IdInput) -> SubAccountPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=SubAccountPayload,
            target=str(input.id),
            call=lambda: service.disable_sub_account(
                context.session,
                account_id=context.principal.account_id,
                user_id=key_of(input.id, "SubAccount"),
                now=context.clock.now(),
            ),
            ok=lambda row: SubAccountPayload(sub_account=SubAccount.from_model(row)),
        )

    @strawberry.mutation(
        description="A client_credentials client bound to the account; the secret is shown once.",
        extensions=[Requires(PARTNER_WRITERS)],
    )
    async def create_partner_client(self, info: AccordInfo, input: CreatePartnerClientInput) -> PartnerClientPayload:
        context = info.context
        principal = context.principal
        secret = new_secret()
        client_id = f"partner_{new_secret(12)}"
        return await run_mutation(
            info,
            payload=PartnerClientPayload,
            target=f"client:{client_id}",
            call=lambda: service.create_partner_client(
                context.session,
                account_id=principal.account_id,
                name=input.name,
                scopes=input.scopes,
                grantable=[s.value for s in principal.scopes],
                client_id=client_id,
                secret_digest=digest(secret),
                created_by=principal.name,
                created_by_user_id=principal.user_id,
            ),
            ok=lambda row: PartnerClientPayload(client_id=row.client_id, client_secret=secret),
        )

    @strawberry.mutation(
        description="Disable a partner client; its tokens stop working at once (AUTH-4).",
        extensions=[Requires(HOLDER)],
    )
    async def disable_partner_client(self, info: AccordInfo, input: IdInput) -> PartnerClientPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=PartnerClientPayload,
            target=str(input.id),
            call=lambda: service.disable_partner_client(
                context.session, account_id=context.principal.account_id, key=key_of(input.id, "PartnerClient")
            ),
            ok=lambda row: PartnerClientPayload(client_id=row.client_id),
        )

    @strawberry.mutation(
        description="Replace a partner client's secret at once; the new one is shown once (ACC-6).",
        extensions=[Requires(HOLDER)],
    )
    async def rotate_partner_client_secret(self, info: AccordInfo, input: IdInput) -> PartnerClientPayload:
        context = info.context
        secret = new_secret()
        return await run_mutation(
            info,
            payload=PartnerClientPayload,
            target=str(input.id),
            call=lambda: service.rotate_partner_secret(
                context.session,
                account_id=context.principal.account_id,
                key=key_of(input.id, "PartnerClient"),
                secret_digest=digest(secret),
            ),
            ok=lambda row: PartnerClientPayload(client_id=row.client_id, client_secret=secret),
        )
