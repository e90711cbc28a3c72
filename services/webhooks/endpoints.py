"""Webhook endpoints: create, list, disable, rotate the secret (issue 14).

The secret is generated here (``whsec_`` + 32 random bytes, URL-safe), returned once to the
caller, and stored encrypted with the data key (services/accounts/personal_data, ACC-4's
AES-256-GCM): Accord signs with it on every delivery, so a digest would not do."""

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, DeliveryState, WebhookDelivery, WebhookEndpoint
from services.accounts import personal_data
from services.batch import for_update
from services.errors import InvalidInput, InvalidState, NotFound
from services.events import EVENT_TYPES
from services.pagination import Page, keyset_page
from services.webhooks.network import Refused, Sender, parse_url

MAX_ENDPOINTS_PER_ACCOUNT = 16


@dataclass(frozen=True, slots=True)
class WithSecret:
    endpoint: WebhookEndpoint
    secret: str


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def secret_of(endpoint: WebhookEndpoint, data_key: bytes) -> str:
    return personal_data.decrypt(data_key, endpoint.secret_encrypted)


def _event_types(events: Sequence[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(events or ()))
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(f"unknown event type {unknown[0]!r}", field=["events"])
    return sorted(chosen)


async def check_destination(url: str, *, production: bool, sender: Sender | None = None) -> None:
    """The URL rules at registration: the delivery checks the resolved address again at every
    connection. In production a name that resolves to a forbidden address now is refused now;
    one that does not resolve (yet) is accepted and refused at delivery if it still fails."""
    target = parse_url(url, production=production)
    if production:
        try:
            await (sender or Sender(production=True)).addresses_for(target)
        except Refused as error:
            if "forbidden" in str(error):
                raise InvalidInput(
                    "the URL resolves to a loopback, private or link-local address", field=["url"]
                ) from None


async def create(
    session: AsyncSession,
    *,
    account: Account,
    url: str,
    events: Sequence[str] | None,
    data_key: bytes,
    production: bool,
    created_by: str,
    sender: Sender | None = None,
) -> WithSecret:
    await check_destination(url, production=production, sender=sender)
    types = _event_types(events)
    count = len(await endpoints_of(session, account_id=account.id))
    if count >= MAX_ENDPOINTS_PER_ACCOUNT:
        raise InvalidState(f"an account has at most {MAX_ENDPOINTS_PER_ACCOUNT} webhook endpoints")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        account_id=account.id,
        url=url,
        events=types,
        secret_encrypted=personal_data.encrypt(data_key, secret),
        created_by=created_by,
    )
    session.add(endpoint)
    await session.flush()
    return WithSecret(endpoint, secret)


async def endpoint_in_scope(
    session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None, lock: bool = False
) -> WebhookEndpoint | None:
    """SEC-1: ``account_id`` None is staff's scope (every account)."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.id == key)
    if account_id is not None:
        query = query.where(WebhookEndpoint.account_id == account_id)
    if lock:
        query = for_update(query)
    return (await session.execute(query)).scalar_one_or_none()


async def _own(session: AsyncSession, key: uuid.UUID, account_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = await endpoint_in_scope(session, key, account_id=account_id, lock=True)
    if endpoint is None:
        raise NotFound("no such webhook endpoint", field=["id"])
    return endpoint


async def disable(session: AsyncSession, *, key: uuid.UUID, account_id: uuid.UUID, now: datetime) -> WebhookEndpoint:
    """Idempotent. What was still pending is FAILED: nothing goes to a disabled endpoint."""
    endpoint = await _own(session, key, account_id)
    if endpoint.disabled_at is None:
        endpoint.disabled_at, endpoint.disabled_reason = now, "disabled by the account"
        await fail_pending(session, endpoint, reason="endpoint disabled by the account")
        await session.flush()
    return endpoint


async def fail_pending(session: AsyncSession, endpoint: WebhookEndpoint, *, reason: str) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.FAILED, next_attempt_at=None, last_error=reason[:300])
        .execution_options(synchronize_session="fetch")
    )


async def rotate_secret(session: AsyncSession, *, key: uuid.UUID, account_id: uuid.UUID, data_key: bytes) -> WithSecret:
    """The new secret signs every request from now on (including retries of older events)."""
    endpoint = await _own(session, key, account_id)
    secret = new_secret()
    endpoint.secret_encrypted = personal_data.encrypt(data_key, secret)
    await session.flush()
    return WithSecret(endpoint, secret)


async def endpoints_of(session: AsyncSession, *, account_id: uuid.UUID) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.account_id == account_id).order_by(WebhookEndpoint.id)
    return list((await session.execute(query)).scalars().all())


async def endpoints_of_accounts(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list]:
    """Dataloader batch: every listed account's endpoints in one query."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.account_id.in_(account_ids)).order_by(WebhookEndpoint.id)
    found: dict[uuid.UUID, list] = {key: [] for key in account_ids}
    for row in (await session.execute(query)).scalars().all():
        found[row.account_id].append(row)
    return found


async def page_deliveries(
    session: AsyncSession, *, endpoint_id: uuid.UUID, first: int, after: uuid.UUID | None
) -> Page[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    return await keyset_page(session, query, WebhookDelivery.id, first=first, after=after)


async def delivery_in_scope(
    session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None
) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(WebhookDelivery.id == key)
    if account_id is not None:
        query = query.where(WebhookDelivery.account_id == account_id)
    return (await session.execute(query)).scalar_one_or_none()
