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
from services.errors import AccountFrozen, DomainError, ErrorCode, InsufficientPermission


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


class Requires(FieldExtension):
    """A mutation for the principals a Grant names. A frozen account's principals may read
    but every mutation is refused with ACCOUNT_FROZEN (ENF-5, AUTH-4)."""

    def __init__(self, grant: Grant) -> None:
        self.grant = grant

    def apply(self, field: StrawberryField) -> None:
        self.payload = field.type
        describe_grant(field, self.grant)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: AccordInfo, **kwargs: Any
    ) -> Any:
        context = info.context
        if context.principal is None:
            raise not_authenticated()
        refusal: DomainError
        if context.principal.frozen:
            refusal = AccountFrozen("the account is frozen: it can be read but not changed")
        elif self.grant.allows(context.principal):
            return await next_(source, info, **kwargs)
        else:
            refusal = InsufficientPermission(f"{context.principal.kind.value} may not {info.field_name}")
        await audit.record(
            context.session,
            clock=context.clock,
            actor=context.actor,
            action=info.field_name,
            outcome=refusal.code.value,
            detail=refusal.message,
        )
        return self.payload(user_errors=user_errors(refusal))
