"""An account and what it shows: profile, real name, sub-accounts, partner clients, audit
log, cases, and the billing and app lists of the account (SEC-1, ACC-4, ACC-8, AUTH-2)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension

from models import Account as AccountRow
from models import AuditRecord as AuditRow
from models import CompromiseReport as ReportRow
from models import HolderType as HolderTypeValue
from models import OAuthClient, SubmissionState, User
from models import OwnershipDispute as DisputeRow
from models import ProfileChange as ProfileChangeRow
from schema.apps.types import App, BrandUseRequest
from schema.bills.types import Bill, PaymentStanding
from schema.context import AccordInfo
from schema.enforcement.types import EnforcementCase
from schema.enums import HolderType, PrincipalKind, RealNameState, Standing
from schema.grants import (
    ACCOUNT_READERS,
    APP_READERS,
    BILLING_READERS,
    HOLDER_OR_STAFF,
    INVOICE_READERS,
    STAFF_ONLY,
    WEBHOOK_READERS,
)
from schema.invoices.types import Invoice, InvoiceProfile, InvoiceProfileChange
from schema.ledger.types import LedgerEntry, PendingTopUp
from schema.notices import Notice
from schema.permissions import Allowed, allowed
from schema.relay import Connection, Node, encode_id, paginate, paginate_account
from schema.scoped import sees_personal_numbers, support_only
from schema.webhooks.types import WebhookEndpoint
from services import notices
from services.accounts import personal_data, profile, repository
from services.apps import service as apps
from services.billing import repository as bill_repository
from services.invoices import invoices as invoice_service
from services.invoices import profile as invoice_profile
from services.ledger import repository as ledger_repository
from services.ledger import topups
from services.money import fen_to_yuan


def _shown(info: AccordInfo, value: str, masker) -> str:
    return masker(value) if support_only(info.context) else value


async def subject_number(info: AccordInfo, account_id: uuid.UUID, stored: str) -> str:
    number = personal_data.decrypt(await info.context.data_key(), stored)
    return number if sees_personal_numbers(info.context, account_id) else personal_data.mask(number)


class OwnData(Allowed):
    """account:read, or the registrant reading the account registerAccount just made (ACC-1):
    its own profile and real-name state, nothing more."""

    def has_permission(self, source: Any, info: AccordInfo, **kwargs: Any) -> bool:
        return bool(getattr(source, "registrant", False)) or super().has_permission(source, info, **kwargs)


def own_data() -> list[FieldExtension]:
    """The grant of the account's own data (profile, real name, profile changes, standing)."""
    return allowed(ACCOUNT_READERS, OwnData)


@strawberry.type
class AccountProfile:
    """Contact data is personal: SUPPORT staff see it masked (AUTH-2)."""

    raw: strawberry.Private[dict[str, str]]
    account_key: strawberry.Private[uuid.UUID]
    holder_type: strawberry.Private[str]

    @strawberry.field(description="An individual's name is personal data: masked for SUPPORT (AUTH-2, ACC-4).")
    def name(self, info: AccordInfo) -> str:
        # The same rule as realName.subjectName: an enterprise's name is public, a person's is not.
        if self.holder_type == HolderTypeValue.INDIVIDUAL:
            return _shown(info, self.raw["name"], personal_data.mask_name)
        return self.raw["name"]

    @strawberry.field
    def contact_person(self, info: AccordInfo) -> str:
        return _shown(info, self.raw["contact_person"], personal_data.mask_name)

    @strawberry.field
    def email(self, info: AccordInfo) -> str:
        return _shown(info, self.raw["email"], personal_data.mask_email)

    @strawberry.field
    def phone(self, info: AccordInfo) -> str:
        return _shown(info, self.raw["phone"], personal_data.mask)

    @strawberry.field
    def address(self, info: AccordInfo) -> str:
        return _shown(info, self.raw["address"], personal_data.mask_address)

    @strawberry.field(description="Enterprise accounts: the verified unified social credit code (ACC-4 masking).")
    async def credit_code(self, info: AccordInfo) -> str | None:
        if self.holder_type != HolderTypeValue.ENTERPRISE:
            return None
        submission = await info.context.loaders.real_name.load(self.account_key)
        if submission is None or submission.state != SubmissionState.VERIFIED:
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

    @strawberry.field(description="Masked for all but the holder and COMPLIANCE staff (ACC-4).")
    async def subject_number(self, info: AccordInfo) -> str | None:
        if self.stored_number is None or self.account_key is None:
            return None
        return await subject_number(info, self.account_key, self.stored_number)


@strawberry.type
class ProfileChange(Node):
    field: str
    effective_on: date
    reported_at: datetime
    late: bool
    raw_new_value: strawberry.Private[str]
    # None when read alone (node(id:)): a name is then masked as a person's would be.
    holder_type: strawberry.Private[str | None]

    @strawberry.field(description="The value reported; SUPPORT sees personal data masked, as in the profile (AUTH-2).")
    def new_value(self, info: AccordInfo) -> str:
        masker = _NEW_VALUE_MASKS.get(self.field)
        if self.field == "name" and self.holder_type == HolderTypeValue.ENTERPRISE:
            masker = None  # an enterprise's name is public
        return self.raw_new_value if masker is None else _shown(info, self.raw_new_value, masker)

    @staticmethod
    def from_model(row: ProfileChangeRow, holder_type: str | None = None) -> "ProfileChange":
        return ProfileChange(
            id=encode_id("ProfileChange", row.id),
            field=row.field,
            effective_on=row.effective_on,
            reported_at=row.reported_at,
            late=row.late,
            raw_new_value=row.new_value,
            holder_type=holder_type,
        )


# How SUPPORT sees a reported new value, by the profile field it changes: masked exactly as the
# profile shows that field (AccountProfile above).
_NEW_VALUE_MASKS = {
    "name": personal_data.mask_name,
    "contactPerson": personal_data.mask_name,
    "email": personal_data.mask_email,
    "phone": personal_data.mask,
    "address": personal_data.mask_address,
}


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

    @staticmethod
    def from_model(row: OAuthClient) -> "PartnerClient":
        return PartnerClient(
            id=encode_id("PartnerClient", row.id),
            client_id=row.client_id,
            name=row.name,
            scopes=list(row.scopes),
            disabled=row.disabled,
        )


@strawberry.type(description="A dispute over who owns the account (ACC-5).")
class OwnershipDispute(Node):
    state: str
    complaint: str
    froze_account: bool
    opened_at: datetime
    winner: str | None
    resolved_at: datetime | None

    @staticmethod
    def from_model(row: DisputeRow) -> "OwnershipDispute":
        return OwnershipDispute(
            id=encode_id("OwnershipDispute", row.id),
            state=row.state,
            complaint=row.complaint,
            froze_account=row.froze_account,
            opened_at=row.opened_at,
            winner=row.winner,
            resolved_at=row.resolved_at,
        )


@strawberry.type(
    description="A report of leaked credentials: SUBMITTED → IDENTITY_VERIFIED → HANDLED, or INCOMPLETE (ACC-6)."
)
class CompromiseReport(Node):
    state: str
    what: list[str]
    description: str
    reported_at: datetime
    identity_verified_at: datetime | None
    handled_at: datetime | None

    @staticmethod
    def from_model(row: ReportRow) -> "CompromiseReport":
        return CompromiseReport(
            id=encode_id("CompromiseReport", row.id),
            state=row.state,
            what=list(row.what),
            description=row.description,
            reported_at=row.reported_at,
            identity_verified_at=row.identity_verified_at,
            handled_at=row.handled_at,
        )


@strawberry.type(
    description=(
        "Readable by every member of the account (its holder, sub-accounts and partner clients) and by staff; "
        "each field asks for its own grant, and a refused field is an INSUFFICIENT_PERMISSION error at its path "
        "(SEC-1, ACC-8)."
    )
)
class Account(Node):
    holder_type: HolderType = strawberry.field(extensions=own_data())
    profile: AccountProfile = strawberry.field(extensions=own_data())
    standing: Standing = strawberry.field(extensions=own_data())
    key: strawberry.Private[uuid.UUID]
    real_name_state: strawberry.Private[str]
    # ACC-1: the payload of registerAccount, answered to a registrant who has no token yet.
    registrant: strawberry.Private[bool] = False

    @staticmethod
    def from_model(row: AccountRow, *, registrant: bool = False) -> "Account":
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
            registrant=registrant,
        )

    @strawberry.field(extensions=own_data())
    async def real_name(self, info: AccordInfo) -> RealNameVerification:
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
            rejection_reason=submission.reason if submission.state == SubmissionState.REJECTED else None,
            account_key=self.key,
            stored_number=submission.subject_number_encrypted,
        )

    @strawberry.field(
        extensions=own_data(),
        description="Every reported profile change, with the staff-visible `late` flag (ACC-2).",
    )
    async def profile_changes(
        self, info: AccordInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[ProfileChange]:
        holder_type = self.holder_type

        def to_node(row: ProfileChangeRow) -> ProfileChange:
            return ProfileChange.from_model(row, holder_type)

        return await paginate(first, after, profile.page_changes, to_node, info.context.session, account_id=self.key)

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF))
    async def sub_accounts(
        self, info: AccordInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[SubAccount]:
        return await paginate(
            first, after, repository.page_sub_accounts, SubAccount.from_model, info.context.session, account_id=self.key
        )

    @strawberry.field(extensions=allowed(APP_READERS))
    async def apps(self, info: AccordInfo, first: int | None = 20, after: str | None = None) -> Connection[App]:
        return await paginate_account(
            info.context,
            first,
            after,
            App.from_model,
            account_id=self.key,
            page_of=apps.page_apps,
            pages_of=apps.pages_of_apps,
        )

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF))
    async def audit_log(
        self, info: AccordInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[AuditRecord]:
        return await paginate(
            first, after, repository.page_audit, AuditRecord.from_model, info.context.session, account_id=self.key
        )

    @strawberry.field(extensions=allowed(STAFF_ONLY), description="Disputes over who owns the account (ACC-5).")
    async def ownership_disputes(self, info: AccordInfo) -> list[OwnershipDispute]:
        return [OwnershipDispute.from_model(r) for r in await info.context.loaders.ownership_disputes.load(self.key)]

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF), description="Reports of leaked credentials (ACC-6).")
    async def compromise_reports(self, info: AccordInfo) -> list[CompromiseReport]:
        return [CompromiseReport.from_model(r) for r in await info.context.loaders.compromise_reports.load(self.key)]

    @strawberry.field(extensions=allowed(BILLING_READERS), description="The prepaid balance (PRE-1).")
    async def balance(self, info: AccordInfo) -> Decimal:
        facts = await info.context.loaders.account_facts.load(self.key)
        return fen_to_yuan(0 if facts is None else facts.balance_fen)

    @strawberry.field(extensions=allowed(BILLING_READERS), description="Unpaid principal, penalties excluded (PRE-4).")
    async def arrears(self, info: AccordInfo) -> Decimal:
        return fen_to_yuan((await info.context.loaders.owed.load(self.key)).principal_fen)

    @strawberry.field(extensions=allowed(BILLING_READERS), description="Unpaid penalties up to today (PRE-3, PRE-4).")
    async def accrued_penalties(self, info: AccordInfo) -> Decimal:
        return fen_to_yuan((await info.context.loaders.owed.load(self.key)).penalties_fen)

    @strawberry.field(
        extensions=allowed(BILLING_READERS),
        description="Arrears, overdue days and eligibility for termination (PRE-4, PRE-5).",
    )
    async def payment_standing(self, info: AccordInfo) -> PaymentStanding:
        owed = await info.context.loaders.owed.load(self.key)
        return PaymentStanding.of(owed, info.context.clock.now())

    @strawberry.field(extensions=allowed(BILLING_READERS), description="Delivered bills, oldest first (BIL-4).")
    async def bills(self, info: AccordInfo, first: int | None = 20, after: str | None = None) -> Connection[Bill]:
        return await paginate_account(
            info.context,
            first,
            after,
            Bill.from_model,
            account_id=self.key,
            page_of=bill_repository.page_for_account,
            pages_of=bill_repository.pages_for_accounts,
        )

    @strawberry.field(
        extensions=allowed(BILLING_READERS), description="Immutable ledger entries, oldest first (PRE-1)."
    )
    async def ledger(
        self, info: AccordInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[LedgerEntry]:
        return await paginate_account(
            info.context,
            first,
            after,
            LedgerEntry.from_model,
            account_id=self.key,
            page_of=ledger_repository.page_entries,
            pages_of=ledger_repository.pages_of_entries,
        )

    @strawberry.field(
        extensions=allowed(BILLING_READERS),
        description="Top-ups awaiting their money; online ones until they expire unpaid (PRE-2).",
    )
    async def pending_top_ups(self, info: AccordInfo) -> list[PendingTopUp]:
        rows = await info.context.loaders.pending_top_ups.load(self.key)
        return [PendingTopUp.from_model(r) for r in topups.awaiting(rows, info.context.clock.now())]

    @strawberry.field(extensions=allowed(ACCOUNT_READERS), description="Notices sent to the account (NTC-4).")
    async def notices(self, info: AccordInfo, first: int | None = 20, after: str | None = None) -> Connection[Notice]:
        return await paginate(
            first, after, notices.page_for_account, Notice.from_model, info.context.session, account_id=self.key
        )

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF))
    async def partner_clients(self, info: AccordInfo) -> list[PartnerClient]:
        return [PartnerClient.from_model(r) for r in await info.context.loaders.partner_clients.load(self.key)]

    @strawberry.field(
        extensions=allowed(WEBHOOK_READERS), description="Where the account's events are pushed (issue 14)."
    )
    async def webhook_endpoints(self, info: AccordInfo) -> list[WebhookEndpoint]:
        return [WebhookEndpoint.from_model(r) for r in await info.context.loaders.webhook_endpoints.load(self.key)]

    @strawberry.field(extensions=allowed(HOLDER_OR_STAFF), description="Enforcement cases on this account (ENF-1).")
    async def enforcement_cases(self, info: AccordInfo) -> list[EnforcementCase]:
        return [EnforcementCase.from_model(r) for r in await info.context.loaders.enforcement_cases.load(self.key)]

    @strawberry.field(
        extensions=allowed(HOLDER_OR_STAFF), description="Requests to use the vendor's trademarks (APP-4)."
    )
    async def brand_use_requests(self, info: AccordInfo) -> list[BrandUseRequest]:
        return [BrandUseRequest.from_model(r) for r in await info.context.loaders.brand_requests.load(self.key)]

    @strawberry.field(extensions=allowed(INVOICE_READERS), description="What VAT invoices are made out to (INV-1).")
    async def invoice_profile(self, info: AccordInfo) -> InvoiceProfile | None:
        row = await info.context.loaders.invoice_profiles.load(self.key)
        return None if row is None else InvoiceProfile.from_model(row)

    @strawberry.field(
        extensions=allowed(INVOICE_READERS),
        description="Every change of the invoice profile, oldest first (INV-1, kept like ACC-2).",
    )
    async def invoice_profile_changes(
        self, info: AccordInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[InvoiceProfileChange]:
        return await paginate(
            first,
            after,
            invoice_profile.page_changes,
            InvoiceProfileChange.from_model,
            info.context.session,
            account_id=self.key,
        )

    @strawberry.field(
        extensions=allowed(INVOICE_READERS),
        description="Settled consumption not yet invoiced; prepayments are never invoiceable (INV-4).",
    )
    async def invoiceable(self, info: AccordInfo) -> Decimal:
        return fen_to_yuan(await info.context.loaders.invoiceable.load(self.key))

    @strawberry.field(extensions=allowed(INVOICE_READERS), description="VAT invoices, oldest first (INV-2 to INV-5).")
    async def invoices(self, info: AccordInfo, first: int | None = 20, after: str | None = None) -> Connection[Invoice]:
        return await paginate(
            first, after, invoice_service.page_invoices, Invoice.from_model, info.context.session, account_id=self.key
        )
