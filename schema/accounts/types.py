import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from auth.principal import Scope, Staff, StaffRole
from models import Account as AccountRow
from models import AuditRecord as AuditRow
from models import User, UserKind
from schema.enums import HolderType, PrincipalKind, RealNameState, Standing
from schema.errors import UserError
from schema.permissions import Grant, allowed
from schema.relay import Connection, Node, connection, encode_id, node_fetcher, page_args
from services.accounts import repository

ALL_STAFF = frozenset(StaffRole)
# Who may read the audit log and the sub-accounts of an account: its holder and staff.
HOLDER_OR_STAFF = Grant(roles=ALL_STAFF, holder=True)


def scope_of(context) -> uuid.UUID | None:  # type: ignore[no-untyped-def]
    """SEC-1: the account a principal may see (None: staff see every account)."""
    principal = context.principal
    return None if isinstance(principal, Staff) else principal.account_id


@strawberry.type
class AccountProfile:
    name: str
    contact_person: str
    email: str
    phone: str
    address: str
    credit_code: str | None


@strawberry.type
class RealNameVerification:
    state: RealNameState
    subject_type: HolderType | None = None
    subject_name: str | None = None
    subject_number: str | None = strawberry.field(default=None, description="masked for all but holder and compliance")
    reviewed_at: datetime | None = None


@strawberry.type
class SubAccount(Node):
    login: str
    permissions: list[str]
    disabled: bool

    @staticmethod
    def from_model(row: User) -> "SubAccount":
        return SubAccount(
            id=encode_id("SubAccount", row.id),
            login=row.login,
            permissions=list(row.permissions),
            disabled=row.disabled,
        )


@strawberry.type
class AuditRecord(Node):
    action: str
    principal_kind: PrincipalKind
    principal: str
    target: str | None
    outcome: str
    at: datetime

    @staticmethod
    def from_model(row: AuditRow) -> "AuditRecord":
        return AuditRecord(
            id=encode_id("AuditRecord", row.id),
            action=row.action,
            principal_kind=row.principal_kind,
            principal=row.principal,
            target=row.target,
            outcome=row.outcome,
            at=row.at,
        )


@strawberry.type
class Account(Node):
    holder_type: HolderType
    profile: AccountProfile
    real_name: RealNameVerification
    standing: Standing

    @staticmethod
    def from_model(row: AccountRow) -> "Account":
        account = Account(
            id=encode_id("Account", row.id),
            holder_type=row.holder_type,
            profile=AccountProfile(
                name=row.name,
                contact_person=row.contact_person,
                email=row.email,
                phone=row.phone,
                address=row.address,
                credit_code=row.credit_code,
            ),
            real_name=RealNameVerification(state=row.real_name_state),
            standing=row.standing,
        )
        account._key = row.id
        return account

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF))
    async def sub_accounts(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[SubAccount]:
        size, after_key = page_args(first, after)
        page = await repository.page_sub_accounts(
            info.context.session, account_id=self._key, first=size, after=after_key
        )
        return connection(page, SubAccount.from_model)

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF))
    async def audit_log(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[AuditRecord]:
        size, after_key = page_args(first, after)
        page = await repository.page_audit(info.context.session, account_id=self._key, first=size, after=after_key)
        return connection(page, AuditRecord.from_model)


# Reading an account needs account:read (holders have it) or a staff role.
ACCOUNT_READERS = Grant(roles=ALL_STAFF, scope=Scope.ACCOUNT_READ)


@node_fetcher("Account")
async def fetch_account(context, key):  # type: ignore[no-untyped-def]
    from schema.accounts.reads import read_account

    return await read_account(context, key)


@node_fetcher("AuditRecord")
async def fetch_audit_record(context, key):  # type: ignore[no-untyped-def]
    if not HOLDER_OR_STAFF.allows(context.principal):
        return None
    row = await repository.audit_record(context.session, record_id=key, account_id=scope_of(context))
    return None if row is None else AuditRecord.from_model(row)


@node_fetcher("SubAccount")
async def fetch_sub_account(context, key):  # type: ignore[no-untyped-def]
    scope = scope_of(context)
    if not HOLDER_OR_STAFF.allows(context.principal):
        return None
    row = await context.session.get(User, key)
    if row is None or row.kind != UserKind.SUB_ACCOUNT or (scope is not None and row.account_id != scope):
        return None
    return SubAccount.from_model(row)


@strawberry.type
class Viewer:
    kind: PrincipalKind
    staff_roles: list[StaffRole]
    permissions: list[str]
    account_key: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        if self.account_key is None:
            return None
        from schema.accounts.reads import read_account

        return await read_account(info.context, self.account_key)


@strawberry.type
class AccountPayload:
    account: Account | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SubAccountPayload:
    sub_account: SubAccount | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PartnerClientPayload:
    client_id: str | None = None
    client_secret: str | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AccountIdInput:
    account_id: strawberry.ID | None = None


@strawberry.input
class IdInput:
    id: strawberry.ID


@strawberry.input
class CreateSubAccountInput:
    login: str
    password: str
    permissions: list[str]


@strawberry.input
class CreatePartnerClientInput:
    name: str
    scopes: list[str]
