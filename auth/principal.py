"""AUTH-2: the principal behind a request, as a typed subject.

Every token resolves to exactly one of these. Scopes are the vocabulary of CONTRACT.md.
"""

import uuid
from dataclasses import dataclass, field

from models import PrincipalKind
from models.vocabulary import CUSTOMER_SCOPES, Scope, StaffRole

__all__ = [
    "HOLDER_SCOPES",
    "Holder",
    "InternalClient",
    "MeteringClient",
    "PartnerClient",
    "PaymentsClient",
    "Principal",
    "Scope",
    "Staff",
    "StaffRole",
    "user_grants",
]


# What a holder may do: every customer permission.
HOLDER_SCOPES = CUSTOMER_SCOPES


def user_grants(kind: str, permissions: list[str]) -> frozenset[Scope]:
    """The most a user's tokens may carry, as the user stands now: a holder everything a
    customer may do, a sub-account its grants (ACC-8), staff no customer scope (they act by role)."""
    if kind == PrincipalKind.HOLDER:
        return HOLDER_SCOPES
    if kind == PrincipalKind.SUB_ACCOUNT:
        # Only customer permissions, whatever a row says: the vendor's scopes (usage:write,
        # payments:confirm) can never reach a customer's user or the partner clients it makes.
        return frozenset(Scope(p) for p in permissions if p in Scope._value2member_map_) & CUSTOMER_SCOPES
    return frozenset()


@dataclass(frozen=True, slots=True)
class Holder:
    user_id: uuid.UUID
    account_id: uuid.UUID
    login: str
    scopes: frozenset[Scope] = HOLDER_SCOPES
    frozen: bool = False
    terminated: bool = False  # ENF-5: the agreement ended; read-only but for paying and a refund
    # ENF-4 RESTRICT: capabilities (permissions) a measure took from the account's principals.
    restricted: frozenset[Scope] = frozenset()
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
    terminated: bool = False
    restricted: frozenset[Scope] = frozenset()
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
    terminated: bool = False
    restricted: frozenset[Scope] = frozenset()
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
    terminated: bool = False
    restricted: frozenset[Scope] = frozenset()
    kind: PrincipalKind = PrincipalKind.METERING_CLIENT

    @property
    def name(self) -> str:
        return f"client:{self.client_id}"


@dataclass(frozen=True, slots=True)
class PaymentsClient:
    """PRE-2: the vendor's payment gateway; confirms online payments for every account, reads
    nothing. No customer, sub-account or partner can ever hold its scope."""

    client_id: str
    scopes: frozenset[Scope] = frozenset({Scope.PAYMENTS_CONFIRM})
    account_id: None = None
    frozen: bool = False
    terminated: bool = False
    restricted: frozenset[Scope] = frozenset()
    kind: PrincipalKind = PrincipalKind.PAYMENTS_CLIENT

    @property
    def name(self) -> str:
        return f"client:{self.client_id}"


# The vendor's own clients: internal, bound to no account, each with its one vendor scope.
InternalClient = MeteringClient | PaymentsClient


@dataclass(frozen=True, slots=True)
class Staff:
    user_id: uuid.UUID
    login: str
    roles: frozenset[StaffRole] = field(default_factory=frozenset)
    account_id: None = None
    frozen: bool = False
    terminated: bool = False
    restricted: frozenset[Scope] = frozenset()
    kind: PrincipalKind = PrincipalKind.STAFF

    @property
    def name(self) -> str:
        return f"staff:{self.login}"

    @property
    def scopes(self) -> frozenset[Scope]:
        # Staff act by role, not by customer scopes; ADMIN may report usage corrections and
        # FINANCE may confirm online payments by hand (reconciliation, PRE-2).
        return frozenset(scope for role, scope in _STAFF_SCOPES.items() if role in self.roles)


_STAFF_SCOPES = {StaffRole.ADMIN: Scope.USAGE_WRITE, StaffRole.FINANCE: Scope.PAYMENTS_CONFIRM}

Principal = Holder | SubAccountUser | PartnerClient | MeteringClient | PaymentsClient | Staff
