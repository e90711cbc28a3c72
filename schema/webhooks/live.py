"""``Subscription.accountEvents`` (issue 14): the account's events, live, over
graphql-transport-ws on /graphql, authenticated by the same bearer token (sent in
``connection_init``'s payload as ``Authorization: Bearer …``).

Scoped like reads (SEC-1): a principal sees its own account's events only, never another's;
the contract gives the field no account argument, so staff (who have no account) are refused.
A member of the account sees the event types its grants could read anyway: billing and money
events need billing:read, invoice events invoices:read, AppID events apps:read, notices and
enforcement events account:read (a holder has them all)."""

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from auth.principal import Scope, Staff
from schema.context import AccordInfo
from schema.errors import PublicError
from schema.permissions import not_authenticated
from schema.scoped import refused
from services import events
from services.errors import ErrorCode

# The grant that reads what each event is about (by the type's prefix).
TYPE_SCOPES = {
    "bill": Scope.BILLING_READ,
    "dispute": Scope.BILLING_READ,
    "topup": Scope.BILLING_READ,
    "payment": Scope.BILLING_READ,
    "arrears": Scope.BILLING_READ,
    "penalty": Scope.BILLING_READ,
    "invoice": Scope.INVOICES_READ,
    "app": Scope.APPS_READ,
    "notice": Scope.ACCOUNT_READ,
    "measure": Scope.ACCOUNT_READ,
    "termination": Scope.ACCOUNT_READ,
}


def readable_types(scopes: frozenset[Scope]) -> frozenset[str]:
    return frozenset(t for t in events.EVENT_TYPES if TYPE_SCOPES.get(t.split(".")[0]) in scopes)


@strawberry.type(name="AccountEvent", description="The same events, live, over graphql-transport-ws on /graphql.")
class AccountEventItem:
    id: strawberry.ID = strawberry.field(description="The event id (Accord-Event-Id), for de-duplication.")
    type: str
    occurred_at: datetime
    payload: str = strawberry.field(description="the event's JSON body, as a webhook receives it")


@strawberry.type
class EventSubscription:
    @strawberry.subscription(
        description=(
            "The viewer's own account's events as they are recorded (SEC-1), optionally only `types`. "
            "Sub-accounts and partner clients receive the types their grants read (billing:read, "
            "invoices:read, apps:read, account:read); staff have no account and are refused."
        )
    )
    async def account_events(
        self, info: AccordInfo, types: list[str] | None = None
    ) -> AsyncGenerator[AccountEventItem, None]:
        context = info.context
        principal = context.principal
        if principal is None:
            raise not_authenticated()
        if isinstance(principal, Staff) or principal.account_id is None:
            raise refused()
        readable = readable_types(principal.scopes)
        wanted = frozenset(types) if types else readable
        unknown = sorted(wanted - events.EVENT_TYPES)
        if unknown:
            raise PublicError(f"unknown event type {unknown[0]!r}", ErrorCode.INVALID.value)
        if not wanted <= readable or not wanted:
            raise refused()
        async for row in context.live.events(
            account_id=principal.account_id, types=wanted, still_allowed=context.recheck
        ):
            yield AccountEventItem(
                id=strawberry.ID(events.wire_id(row)),
                type=row.type,
                occurred_at=row.occurred_at,
                payload=events.body(row).decode(),
            )
