import uuid
from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from auth.principal import Holder, Scope, Staff, StaffRole
from models import Account as AccountRow
from models import AuditRecord as AuditRow
from models import HolderType as HolderTypeValue
from models import ProfileChange as ProfileChangeRow
from models import User, UserKind
from schema.apps.types import App, BrandUseRequest
from schema.billing.bill_types import Bill, PaymentStanding
from schema.billing.types import LedgerEntry, Notice, PendingTopUp
from schema.enforcement.types import EnforcementCase
from schema.enums import HolderType, PrincipalKind, RealNameState, Standing
from schema.errors import UserError
from schema.permissions import Grant, allowed
from schema.relay import Connection, Node, connection, encode_id, node_fetcher, page_args
from services import notices
from services.accounts import personal_data, profile, repository
from services.apps import service as apps
from services.billing import bills
from services.ledger import entries
from services.money import fen_to_yuan

ALL_STAFF = frozenset(StaffRole)
# Who may read the audit log, sub-accounts and cases of an account: its holder and staff.
HOLDER_OR_STAFF = Grant(roles=ALL_STAFF, holder=True)
# Reading an account needs account:read (holders have it) or a staff role.
ACCOUNT_READERS = Grant(roles=ALL_STAFF, scope=Scope.ACCOUNT_READ)
APP_READERS = Grant(roles=ALL_STAFF, scope=Scope.APPS_READ)
BILLING_READERS = Grant(roles=ALL_STAFF, scope=Scope.BILLING_READ)
STAFF_ONLY = Grant(roles=ALL_STAFF)


def scope_of(context) -> uuid.UUID | None:
    """SEC-1: the account a principal may see (None: staff see every account)."""
    principal = context.principal
    return None if isinstance(principal, Staff) else principal.account_id


def sees_personal_numbers(context, account_id: uuid.UUID) -> bool:
    """ACC-4: unmasked only to the account's holder and to COMPLIANCE staff."""
    principal = context.principal
    if isinstance(principal, Staff):
        return StaffRole.COMPLIANCE in principal.roles
    return isinstance(principal, Holder) and principal.account_id == account_id


def support_only(context) -> bool:
    """AUTH-2: SUPPORT reads across accounts with personal data masked."""
    principal = context.principal
    return isinstance(principal, Staff) and principal.roles <= {StaffRole.SUPPORT}


def _shown(info: Info, value: str, masker) -> str:
    return masker(value) if support_only(info.context) else value


async def subject_number(info: Info, account_id: uuid.UUID, stored: str) -> str:
    number = personal_data.decrypt(await info.context.data_key(), stored)
    return number if sees_personal_numbers(info.context, account_id) else personal_data.mask(number)


@strawberry.type
class AccountProfile:
    """Contact data is personal: SUPPORT staff see it masked (AUTH-2)."""

    raw: strawberry.Private[dict[str, str]]
    account_key: strawberry.Private[uuid.UUID]
    holder_type: strawberry.Private[str]

    @strawberry.field(description="An individual's name is personal data: masked for SUPPORT (AUTH-2, ACC-4).")
    def name(self, info: Info) -> str:
        # The same rule as realName.subjectName: an enterprise's name is public, a person's is not.
        if self.holder_type == HolderTypeValue.INDIVIDUAL:
            return _shown(info, self.raw["name"], personal_data.mask_name)
        return self.raw["name"]

    @strawberry.field
    def contact_person(self, info: Info) -> str:
        return _shown(info, self.raw["contact_person"], personal_data.mask_name)

    @strawberry.field
    def email(self, info: Info) -> str:
        return _shown(info, self.raw["email"], personal_data.mask_email)

    @strawberry.field
    def phone(self, info: Info) -> str:
        return _shown(info, self.raw["phone"], personal_data.mask)

    @strawberry.field
    def address(self, info: Info) -> str:
        return _shown(info, self.raw["address"], personal_data.mask_address)

    @strawberry.field(description="Enterprise accounts: the verified unified social credit code (ACC-4 masking).")
    async def credit_code(self, info: Info) -> str | None:
        if self.holder_type != HolderTypeValue.ENTERPRISE:
            return None
        submission = await info.context.loaders.real_name.load(self.account_key)
        if submission is None or submission.state != "VERIFIED":
            return None
        return await subject_number(info, self.account_key, submission.subject_number_encrypted)


@strawberry.type
class RealNameVerification:
    state: RealNameState
    subject_type: HolderType | None = None
    subject_name: str | None = None
    reviewed_at: datetime | None = None
    rejection_reason: str | None = None
    account_key: strawberry.Private[uuid.UUID | None] = None
    stored_number: strawberry.Private[str | None] = None

    @strawberry.field(description="masked for all but holder and compliance")
    async def subject_number(self, info: Info) -> str | None:
        if self.stored_number is None or self.account_key is None:
            return None
        return await subject_number(info, self.account_key, self.stored_number)


@strawberry.type
class ProfileChange(Node):
    field: str
    effective_on: date
    reported_at: datetime
    late: bool
    new_value: str

    @staticmethod
    def from_model(row: ProfileChangeRow) -> "ProfileChange":
        return ProfileChange(
            id=encode_id("ProfileChange", row.id),
            field=row.field,
            effective_on=row.effective_on,
            reported_at=row.reported_at,
            late=row.late,
            new_value=row.new_value,
        )


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


@strawberry.type(description="A client_credentials client of the account (its secret is never shown again).")
class PartnerClient(Node):
    client_id: str
    name: str
    scopes: list[str]
    disabled: bool


@strawberry.type(description="ACC-5")
class OwnershipDispute(Node):
    state: str
    complaint: str
    froze_account: bool
    opened_at: datetime
    winner: str | None
    resolved_at: datetime | None


@strawberry.type(description="ACC-6: SUBMITTED → IDENTITY_VERIFIED → HANDLED, or INCOMPLETE")
class CompromiseReport(Node):
    state: str
    what: list[str]
    description: str
    reported_at: datetime
    identity_verified_at: datetime | None
    handled_at: datetime | None


@strawberry.type
class Account(Node):
    holder_type: HolderType
    profile: AccountProfile
    standing: Standing
    key: strawberry.Private[uuid.UUID]
    real_name_state: strawberry.Private[str]

    @staticmethod
    def from_model(row: AccountRow) -> "Account":
        return Account(
            id=encode_id("Account", row.id),
            holder_type=row.holder_type,
            profile=AccountProfile(
                raw={
                    "name": row.name,
                    "contact_person": row.contact_person,
                    "email": row.email,
                    "phone": row.phone,
                    "address": row.address,
                },
                account_key=row.id,
                holder_type=row.holder_type,
            ),
            standing=row.standing,
            key=row.id,
            real_name_state=row.real_name_state,
        )

    @strawberry.field
    async def real_name(self, info: Info) -> RealNameVerification:
        submission = await info.context.loaders.real_name.load(self.key)
        if submission is None:
            return RealNameVerification(state=self.real_name_state)
        return RealNameVerification(
            state=self.real_name_state,
            subject_type=submission.subject_type,
            subject_name=(
                personal_data.mask_name(submission.subject_name)
                if support_only(info.context) and submission.subject_type == HolderTypeValue.INDIVIDUAL
                else submission.subject_name
            ),
            reviewed_at=submission.reviewed_at,
            rejection_reason=submission.reason if submission.state == "REJECTED" else None,
            account_key=self.key,
            stored_number=submission.subject_number_encrypted,
        )

    @strawberry.field(description="ACC-2: every reported change, with the staff-visible `late` flag.")
    async def profile_changes(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[ProfileChange]:
        size, after_key = page_args(first, after)
        page = await profile.page_changes(info.context.session, account_id=self.key, first=size, after=after_key)
        return connection(page, ProfileChange.from_model)

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF))
    async def sub_accounts(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[SubAccount]:
        size, after_key = page_args(first, after)
        page = await repository.page_sub_accounts(
            info.context.session, account_id=self.key, first=size, after=after_key
        )
        return connection(page, SubAccount.from_model)

    @strawberry.field(extensions=allowed(APP_READERS))
    async def apps(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[App]:
        size, after_key = page_args(first, after)
        page = await apps.page_apps(info.context.session, account_id=self.key, first=size, after=after_key)
        return connection(page, App.from_model)

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF))
    async def audit_log(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[AuditRecord]:
        size, after_key = page_args(first, after)
        page = await repository.page_audit(info.context.session, account_id=self.key, first=size, after=after_key)
        return connection(page, AuditRecord.from_model)

    @strawberry.field(extensions=allowed(STAFF_ONLY), description="ACC-5, staff only.")
    async def ownership_disputes(self, info: Info) -> list[OwnershipDispute]:
        rows = await info.context.loaders.disputes.load(self.key)
        return [
            OwnershipDispute(
                id=encode_id("OwnershipDispute", r.id),
                state=r.state,
                complaint=r.complaint,
                froze_account=r.froze_account,
                opened_at=r.opened_at,
                winner=r.winner,
                resolved_at=r.resolved_at,
            )
            for r in rows
        ]

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF), description="ACC-6")
    async def compromise_reports(self, info: Info) -> list[CompromiseReport]:
        rows = await info.context.loaders.compromise_reports.load(self.key)
        return [
            CompromiseReport(
                id=encode_id("CompromiseReport", r.id),
                state=r.state,
                what=list(r.what),
                description=r.description,
                reported_at=r.reported_at,
                identity_verified_at=r.identity_verified_at,
                handled_at=r.handled_at,
            )
            for r in rows
        ]

    @strawberry.field(extensions=allowed(BILLING_READERS), description="PRE-1: the prepaid balance.")
    async def balance(self, info: Info) -> Decimal:
        return fen_to_yuan(await info.context.loaders.balances.load(self.key))

    @strawberry.field(extensions=allowed(BILLING_READERS), description="PRE-4: unpaid principal, penalties excluded.")
    async def arrears(self, info: Info) -> Decimal:
        return fen_to_yuan((await info.context.loaders.owed.load(self.key)).principal_fen)

    @strawberry.field(extensions=allowed(BILLING_READERS), description="PRE-3/PRE-4: unpaid penalties up to today.")
    async def accrued_penalties(self, info: Info) -> Decimal:
        return fen_to_yuan((await info.context.loaders.owed.load(self.key)).penalties_fen)

    @strawberry.field(
        extensions=allowed(BILLING_READERS), description="PRE-4/PRE-5: arrears, overdue days, eligibility."
    )
    async def payment_standing(self, info: Info) -> PaymentStanding:
        owed = await info.context.loaders.owed.load(self.key)
        return PaymentStanding.of(owed, info.context.clock.now())

    @strawberry.field(extensions=allowed(BILLING_READERS), description="BIL-4: delivered bills, oldest first.")
    async def bills(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Bill]:
        size, after_key = page_args(first, after)
        page = await bills.page_for_account(info.context.session, account_id=self.key, first=size, after=after_key)
        return connection(page, Bill.from_model)

    @strawberry.field(extensions=allowed(BILLING_READERS), description="PRE-1: immutable entries, oldest first.")
    async def ledger(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[LedgerEntry]:
        size, after_key = page_args(first, after)
        page = await entries.page_entries(info.context.session, account_id=self.key, first=size, after=after_key)
        return connection(page, LedgerEntry.from_model)

    @strawberry.field(extensions=allowed(BILLING_READERS), description="PRE-2: bank transfers awaiting FINANCE.")
    async def pending_top_ups(self, info: Info) -> list[PendingTopUp]:
        return [PendingTopUp.from_model(r) for r in await info.context.loaders.pending_top_ups.load(self.key)]

    @strawberry.field(extensions=allowed(ACCOUNT_READERS), description="NTC-4: notices sent to the account.")
    async def notices(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Notice]:
        size, after_key = page_args(first, after)
        page = await notices.page_for_account(info.context.session, account_id=self.key, first=size, after=after_key)
        return connection(page, Notice.from_model)

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF))
    async def partner_clients(self, info: Info) -> list[PartnerClient]:
        return [
            PartnerClient(
                id=encode_id("PartnerClient", r.id),
                client_id=r.client_id,
                name=r.name,
                scopes=list(r.scopes),
                disabled=r.disabled,
            )
            for r in await info.context.loaders.partner_clients.load(self.key)
        ]

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF), description="ENF-1: cases on this account.")
    async def enforcement_cases(self, info: Info) -> list[EnforcementCase]:
        return [EnforcementCase.from_model(r) for r in await info.context.loaders.enforcement_cases.load(self.key)]

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF), description="APP-4")
    async def brand_use_requests(self, info: Info) -> list[BrandUseRequest]:
        return [BrandUseRequest.from_model(r) for r in await info.context.loaders.brand_requests.load(self.key)]


@node_fetcher("Account")
async def fetch_account(context, key):
    from schema.accounts.reads import read_account

    return await read_account(context, key)


@node_fetcher("AuditRecord")
async def fetch_audit_record(context, key):
    if not HOLDER_OR_STAFF.allows(context.principal):
        return None
    row = await repository.audit_record(context.session, record_id=key, account_id=scope_of(context))
    if row is None:
        return None
    if row.account_id is not None:
        await _staff_read(context, row.account_id, f"audit:{row.id}")
    return AuditRecord.from_model(row)


@node_fetcher("SubAccount")
async def fetch_sub_account(context, key):
    scope = scope_of(context)
    if not HOLDER_OR_STAFF.allows(context.principal):
        return None
    row = await context.session.get(User, key)
    if row is None or row.kind != UserKind.SUB_ACCOUNT or (scope is not None and row.account_id != scope):
        return None
    await _staff_read(context, row.account_id, f"user:{row.login}")
    return SubAccount.from_model(row)


@node_fetcher("ProfileChange")
async def fetch_profile_change(context, key):
    if not ACCOUNT_READERS.allows(context.principal):
        return None
    rows = await profile.changes_by_ids(context.session, [key])
    scope = scope_of(context)
    if not rows or (scope is not None and rows[0].account_id != scope):
        return None
    await _staff_read(context, rows[0].account_id, f"profile-change:{rows[0].id}")
    return ProfileChange.from_model(rows[0])


async def _staff_read(context, account_id: uuid.UUID, target: str) -> None:
    from schema.accounts.reads import record_staff_read

    await record_staff_read(context, account_id=account_id, target=target)


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
class RegisterAccountPayload:
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


@strawberry.type
class ReportPayload:
    report_id: strawberry.ID | None = None
    state: str | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TerminationPayload:
    effective_on: date | None = None
    late: bool | None = None
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
class SetSubAccountPermissionsInput:
    id: strawberry.ID
    permissions: list[str]


@strawberry.input
class CreatePartnerClientInput:
    name: str
    scopes: list[str]
