"""AUTH-2: the principal behind a request, as a typed subject.

Every token resolves to exactly one of these. Scopes are the vocabulary of CONTRACT.md.
"""

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from models import PrincipalKind


class Scope(StrEnum):
    ACCOUNT_READ = "account:read"
    APPS_READ = "apps:read"
    APPS_WRITE = "apps:write"
    BILLING_READ = "billing:read"
    BILLING_TOPUP = "billing:topup"
    BILLS_CONFIRM = "bills:confirm"
    BILLS_DISPUTE = "bills:dispute"
    INVOICES_READ = "invoices:read"
    INVOICES_REQUEST = "invoices:request"
    PARTNERS_WRITE = "partners:write"
    USAGE_WRITE = "usage:write"  # vendor metering clients and ADMIN only


# What a holder may do: every customer permission (usage:write is the vendor's).
HOLDER_SCOPES = frozenset(Scope) - {Scope.USAGE_WRITE}


class StaffRole(StrEnum):
    SUPPORT = "SUPPORT"
    FINANCE = "FINANCE"
    COMPLIANCE = "COMPLIANCE"
    ADMIN = "ADMIN"


@dataclass(frozen=True, slots=True)
class Holder:
    user_id: uuid.UUID
    account_id: uuid.UUID
    login: str
    scopes: frozenset[Scope] = HOLDER_SCOPES
    frozen: bool = False
    kind: PrincipalKind = PrincipalKind.HOLDER

    @property
    def name(self) -> str:
        return f"user:{self.login}"


@dataclass(frozen=True, slots=True)
class SubAccountUser:
    user_id: uuid.UUID
    account_id: uuid.UUID
    login: str
    scopes: frozenset[Scope] = frozenset()
    frozen: bool = False
    kind: PrincipalKind = PrincipalKind.SUB_ACCOUNT

    @property
    def name(self) -> str:
        return f"user:{self.login}"


@dataclass(frozen=True, slots=True)
class PartnerClient:
    client_id: str
    account_id: uuid.UUID
    scopes: frozenset[Scope] = frozenset()
    frozen: bool = False
    kind: PrincipalKind = PrincipalKind.PARTNER_CLIENT

    @property
    def name(self) -> str:
        return f"client:{self.client_id}"


@dataclass(frozen=True, slots=True)
class MeteringClient:
    """BIL-1: the vendor's metering pipeline; reports usage for every account, reads nothing."""

    client_id: str
    scopes: frozenset[Scope] = frozenset({Scope.USAGE_WRITE})
    account_id: None = None
    frozen: bool = False
    kind: PrincipalKind = PrincipalKind.METERING_CLIENT

    @property
    def name(self) -> str:
        return f"client:{self.client_id}"


@dataclass(frozen=True, slots=True)
class Staff:
    user_id: uuid.UUID
    login: str
    roles: frozenset[StaffRole] = field(default_factory=frozenset)
    account_id: None = None
    frozen: bool = False
    kind: PrincipalKind = PrincipalKind.STAFF

    @property
    def name(self) -> str:
        return f"staff:{self.login}"

    @property
    def scopes(self) -> frozenset[Scope]:
        # Staff act by role, not by customer scopes; ADMIN may report usage corrections.
        return frozenset({Scope.USAGE_WRITE}) if StaffRole.ADMIN in self.roles else frozenset()


Principal = Holder | SubAccountUser | PartnerClient | MeteringClient | Staff
