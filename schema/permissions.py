"""Who may call what, declared on the field (GUIDE: never ad hoc in resolver bodies).

Queries use strawberry permission classes: no token is a top-level ``UNAUTHENTICATED`` error,
a missing grant a top-level ``INSUFFICIENT_PERMISSION``. Mutations use the ``Requires`` field
extension: no token is still a top-level error, but a missing grant is the payload's user
error (the contract's convention) and is audited as a refusal (ACC-3).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from auth.principal import Principal, Scope, Staff, StaffRole
from schema.errors import UNAUTHENTICATED, PublicError, user_errors
from services import audit
from services.errors import ErrorCode, InsufficientPermission


def _allowed(principal: Principal, roles: frozenset[StaffRole], scope: Scope | None) -> bool:
    if isinstance(principal, Staff):
        return bool(principal.roles & roles) or (scope is not None and scope in principal.scopes)
    return scope is not None and scope in principal.scopes


def not_authenticated() -> PublicError:
    return PublicError("a valid access token is required", UNAUTHENTICATED)


class IsAuthenticated(BasePermission):
    message = "a valid access token is required"
    error_extensions = {"code": UNAUTHENTICATED}  # noqa: RUF012 - strawberry's API

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal is not None


class Allowed(BasePermission):
    """A query field for the given staff roles and/or holders of a scope."""

    message = "not permitted for this principal"
    error_extensions = {"code": ErrorCode.INSUFFICIENT_PERMISSION.value}  # noqa: RUF012

    def __init__(self, *, roles: frozenset[StaffRole] = frozenset(), scope: Scope | None = None):
        self.roles, self.scope = roles, scope

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise not_authenticated()
        return _allowed(principal, self.roles, self.scope)


class Requires(FieldExtension):
    """A mutation for the given staff roles and/or holders of a scope."""

    def __init__(self, *, roles: frozenset[StaffRole] = frozenset(), scope: Scope | None = None):
        self.roles, self.scope = roles, scope

    def apply(self, field: StrawberryField) -> None:
        self.payload = field.type

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any) -> Any:
        context = info.context
        if context.principal is None:
            raise not_authenticated()
        if _allowed(context.principal, self.roles, self.scope):
            return await next_(source, info, **kwargs)
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
