"""Who may call what, declared on the field (GUIDE: never ad hoc in resolver bodies).

Queries use strawberry permission classes: no token is a top-level ``UNAUTHENTICATED`` error,
a missing grant a top-level ``INSUFFICIENT_PERMISSION``. Mutations use the ``Requires`` field
extension: no token is still a top-level error, but a missing grant is the payload's user
error (the contract's convention) and is audited as a refusal (ACC-3).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types.field import StrawberryField

from auth.principal import HOLDER_SCOPES, Holder, InternalClient, PartnerClient, Principal, Scope, Staff, StaffRole
from schema.context import AccordInfo
from schema.errors import UNAUTHENTICATED, PublicError, user_errors
from services import audit
from services.errors import AccountFrozen, DomainError, ErrorCode, InsufficientPermission, InvalidState


@dataclass(frozen=True, slots=True)
class Grant:
    """Who may use a field: staff with one of ``roles``, the account's holder when ``holder``,
    and any principal holding ``scope``."""

    roles: frozenset[StaffRole] = frozenset()
    scope: Scope | None = None
    holder: bool = False
    # False: OAuth clients (partner, metering, payments) are refused even when they hold ``scope``.
    clients: bool = True

    def allows(self, principal: Principal) -> bool:
        if not self.clients and isinstance(principal, PartnerClient | InternalClient):
            return False
        if isinstance(principal, Staff) and principal.roles & self.roles:
            return True
        # Holder-only acts (sub-accounts, real name, termination) are in no scope of the
        # vocabulary, so a token narrowed by a requested scope cannot do them.
        if self.holder and isinstance(principal, Holder) and principal.scopes >= HOLDER_SCOPES:
            return True
        return self.scope is not None and self.scope in principal.scopes

    def describe(self) -> str:
        """The sentence the field's SDL description ends with, so that it cannot drift from
        the grant, e.g. "Requires: staff ADMIN or FINANCE, or the billing:read scope." """
        who = []
        if self.roles == frozenset(StaffRole):
            who.append("any staff role")
        elif self.roles:
            who.append("staff " + _either(sorted(role.value for role in self.roles)))
        if self.holder:
            who.append("the account's holder")
        if self.scope is not None:
            who.append(f"the {self.scope.value} scope" + ("" if self.clients else " (OAuth clients excluded)"))
        return f"Requires: {_either(who, ', or ')}."


def _either(items: list[str], last: str = " or ") -> str:
    """a; a or b; a, b or c."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]


def describe_grant(field: StrawberryField, grant: Grant) -> None:
    """Append what ``grant`` requires to the field's description (once: a schema may be built
    more than once from the same fields)."""
    requires = grant.describe()
    if field.description is None:
        field.description = requires
    elif not field.description.endswith(requires):
        field.description = f"{field.description} {requires}"


def not_authenticated() -> PublicError:
    return PublicError("a valid access token is required", UNAUTHENTICATED)


class IsAuthenticated(BasePermission):
    message = "a valid access token is required"
    error_extensions = {"code": UNAUTHENTICATED}  # noqa: RUF012 - strawberry's API

    def has_permission(self, source: Any, info: AccordInfo, **kwargs: Any) -> bool:
        return info.context.principal is not None


class Allowed(BasePermission):
    """A query field for the principals a Grant names."""

    message = "not permitted for this principal"
    error_extensions = {"code": ErrorCode.INSUFFICIENT_PERMISSION.value}  # noqa: RUF012

    def __init__(self, grant: Grant) -> None:
        self.grant = grant

    def has_permission(self, source: Any, info: AccordInfo, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise not_authenticated()
        return self.grant.allows(principal)


class GrantedField(PermissionExtension):
    """A permission extension that says in the field's description what its grant requires."""

    def __init__(self, permission: Allowed) -> None:
        super().__init__(permissions=[permission], use_directives=False)
        self.grant = permission.grant

    def apply(self, field: StrawberryField) -> None:
        super().apply(field)
        describe_grant(field, self.grant)


def allowed(grant: Grant, permission: type[Allowed] = Allowed) -> list[FieldExtension]:
    """``extensions=allowed(GRANT)`` on a query field (``permission`` may widen the grant)."""
    return [GrantedField(permission(grant))]


def authenticated() -> list[FieldExtension]:
    """``extensions=authenticated()`` on a query field that any signed-in principal may use."""
    return [PermissionExtension(permissions=[IsAuthenticated()], use_directives=False)]


# ENF-5: what a terminated account's principals may still do: pay what they owe (a top-up
# settles arrears and penalties) and ask for the remainder back (PRE-6, TRM-8).
AFTER_TERMINATION = frozenset({"topUp", "requestRefund"})


def standing_refusal(principal: Principal, field_name: str, grant: Grant | None) -> DomainError | None:
    """The one check of the account's standing every mutation passes (ENF-4, ENF-5).

    - FROZEN: every mutation of the account's principals (holder, sub-accounts, partner
      clients) is refused with ACCOUNT_FROZEN, paying and refunds included: ENF-5 says every
      mutation, and a freeze holds the account as it is while staff decide (ACC-5). Logging in
      and reading are not mutations and still work. Staff and the vendor's own clients are no
      member of the account: a payment the gateway confirms, usage metering reports and staff's
      own measures go on.
    - TERMINATED: read-only except ``AFTER_TERMINATION`` (INVALID_STATE).
    - RESTRICTED: a mutation whose grant is a capability a RESTRICT measure took is refused.
    """
    if principal.frozen:
        return AccountFrozen("the account is frozen: it can be read but not changed")
    if principal.terminated and field_name not in AFTER_TERMINATION:
        return InvalidState("the agreement has ended: the account can only pay what it owes and ask for a refund")
    if grant is not None and grant.scope is not None and grant.scope in principal.restricted:
        return InsufficientPermission(f"{grant.scope.value} is restricted on this account by an enforcement measure")
    return None


async def _refuse(info: AccordInfo, payload: Any, refusal: DomainError) -> Any:
    context = info.context
    await audit.record(
        context.session,
        clock=context.clock,
        actor=context.actor,
        action=info.field_name,
        outcome=refusal.code.value,
        detail=refusal.message,
    )
    return payload(user_errors=user_errors(refusal))


class Requires(FieldExtension):
    """A mutation for the principals a Grant names, after the account's standing allows it
    (``standing_refusal``: a frozen account's principals may read but every mutation is refused
    with ACCOUNT_FROZEN, ENF-5, AUTH-4)."""

    def __init__(self, grant: Grant) -> None:
        self.grant = grant

    def apply(self, field: StrawberryField) -> None:
        self.payload = field.type
        describe_grant(field, self.grant)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: AccordInfo, **kwargs: Any
    ) -> Any:
        principal = info.context.principal
        if principal is None:
            raise not_authenticated()
        refusal = standing_refusal(principal, info.field_name, self.grant)
        if refusal is None and not self.grant.allows(principal):
            refusal = InsufficientPermission(f"{principal.kind.value} may not {info.field_name}")
        if refusal is None:
            return await next_(source, info, **kwargs)
        return await _refuse(info, self.payload, refusal)


class NoTokenNeeded(FieldExtension):
    """The one mutation open without a token (registerAccount). A request that does carry a
    principal still passes ``standing_refusal``, so no mutation escapes the standing check."""

    def apply(self, field: StrawberryField) -> None:
        self.payload = field.type

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: AccordInfo, **kwargs: Any
    ) -> Any:
        principal = info.context.principal
        refusal = None if principal is None else standing_refusal(principal, info.field_name, None)
        if refusal is None:
            return await next_(source, info, **kwargs)
        return await _refuse(info, self.payload, refusal)
