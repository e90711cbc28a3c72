"""The sweep's two webhook jobs (issue 14): fan events out to endpoints, then deliver.

**Fan-out.** Each event of the outbox (``account_events``) not yet fanned out is claimed with
SKIP LOCKED (SQLite: the sweep's write lock) and gets one delivery per endpoint of its account
that is enabled, existed when the event was recorded and wants its type; then it is marked.
Another account's endpoint never sees it: the join is on the event's own account.

**Delivery.** One delivery at a time: claimed with SKIP LOCKED and leased (``leased_until``,
real time) and committed at the sweep's checkpoint, then sent *outside* any transaction, then
its outcome written and committed. A sweep killed at any point loses nothing: an unsent or
half-sent delivery is still PENDING and is sent again when its lease runs out (at least once;
partners de-duplicate on ``Accord-Event-Id``).

**Order.** Per endpoint in event order where possible: a delivery waits while an older one to
the same endpoint has not had its first attempt or is being sent. Once the older one has
failed, later ones go ahead (a partner that refuses one event does not stop the others).

**Retries.** Any 2xx within 10 s delivers; otherwise the next attempt is 30 s later, doubling,
at most 6 h apart, until 3 days after the event, when the delivery is FAILED. An endpoint whose
every attempt has failed for 3 days is disabled, its pending deliveries FAILED, and the holder
gets a notice."""

import hashlib
import hmac
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import Account, AccountEvent, DeliveryState, WebhookDelivery, WebhookEndpoint
from services import events as outbox
from services import notices
from services.batch import for_update, new_row
from services.clock import Clock, security_clock
from services.webhooks.endpoints import fail_pending, secret_of
from services.webhooks.network import Sender

RETRY_WINDOW = timedelta(days=3)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
# Longer than any one exchange (10 s) with room to spare: past it, another sweep may resend.
LEASE = timedelta(seconds=30)
FAN_OUT_BATCH = 500
DELIVERY_BATCH = 200
SYSTEM = "system:webhooks"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``Accord-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (Stripe's
    scheme)."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, … at most 6 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


async def fan_out(session: AsyncSession, *, now: datetime, limit: int = FAN_OUT_BATCH) -> int:
    """Write the deliveries of events not yet fanned out; the number of deliveries written."""
    query = select(AccountEvent).where(AccountEvent.fanned_out_at.is_(None)).order_by(AccountEvent.id).limit(limit)
    events = (await session.execute(for_update(query, skip_locked=True))).scalars().all()
    if not events:
        return 0
    account_ids = {event.account_id for event in events}
    endpoints = (
        (
            await session.execute(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.account_id.in_(account_ids), WebhookEndpoint.disabled_at.is_(None)
                )
            )
        )
        .scalars()
        .all()
    )
    rows = []
    for event in events:
        for endpoint in endpoints:
            if endpoint.account_id != event.account_id or endpoint.created_at > event.created_at:
                continue
            if endpoint.events and event.type not in endpoint.events:
                continue
            rows.append(
                new_row(
                    now,
                    endpoint_id=endpoint.id,
                    event_id=event.id,
                    account_id=event.account_id,
                    event_type=event.type,
                    state=DeliveryState.PENDING,
                    attempts=0,
                    next_attempt_at=now,
                )
            )
    if rows:
        await session.execute(insert(WebhookDelivery), rows)
    await session.execute(
        update(AccountEvent)
        .where(AccountEvent.id.in_([event.id for event in events]))
        .values(fanned_out_at=now)
        .execution_options(synchronize_session=False)
    )
    return len(rows)


@dataclass(frozen=True, slots=True)
class Delivered:
    delivered: int
    failed: int


def _claimable(now: datetime, real_now: datetime):
    older = aliased(WebhookDelivery)
    waits_for_older = exists().where(
        older.endpoint_id == WebhookDelivery.endpoint_id,
        older.event_id < WebhookDelivery.event_id,
        older.state == DeliveryState.PENDING,
        or_(older.attempts == 0, and_(older.leased_until.is_not(None), older.leased_until > real_now)),
    )
    return (
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.state == DeliveryState.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.disabled_at.is_(None),
            or_(WebhookDelivery.leased_until.is_(None), WebhookDelivery.leased_until <= real_now),
            ~waits_for_older,
        )
        .order_by(WebhookDelivery.event_id, WebhookDelivery.id)
        .limit(1)
        .with_for_update(skip_locked=True, key_share=True, of=WebhookDelivery)
    )


async def deliver_due(
    session: AsyncSession,
    *,
    sender: Sender,
    data_key: bytes,
    clock: Clock,
    limit: int = DELIVERY_BATCH,
    checkpoint: Callable[[], Awaitable[None]] | None = None,
) -> Delivered:
    """Send due deliveries one at a time (see the module docstring). ``checkpoint`` commits:
    with it, nothing is locked while a request is on the wire (the sweep always passes it)."""
    delivered = failed = 0
    tried: list[uuid.UUID] = []
    while len(tried) < limit:
        now, real_now = clock.now(), security_clock(clock).now()
        query = _claimable(now, real_now)
        if tried:
            query = query.where(WebhookDelivery.id.not_in(tried))
        delivery = (await session.execute(query)).scalar_one_or_none()
        if delivery is None:
            break
        tried.append(delivery.id)
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
        event = await session.get(AccountEvent, delivery.event_id)
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.leased_until = real_now + LEASE
        await session.flush()
        secret = secret_of(endpoint, data_key)
        url = endpoint.url
        if checkpoint is not None:
            await checkpoint()  # the lease is visible to every other sweep from here on
        body = outbox.body(event)
        sent_at = clock.now()
        answer = await sender.post(
            url,
            body,
            {
                "Accord-Signature": sign(secret, int(security_clock(clock).now().timestamp()), body),
                "Accord-Event-Id": outbox.wire_id(event),
                "Accord-Event-Type": event.type,
            },
        )
        delivery.leased_until = None
        delivery.last_status_code = answer.status
        if answer.delivered:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = DeliveryState.DELIVERED, sent_at, None
            delivery.last_error = None
            endpoint.failing_since = None
            delivered += 1
        else:
            failed += 1
            delivery.last_error = (answer.error or f"answered {answer.status}")[:300]
            now = clock.now()
            if now - event.occurred_at >= RETRY_WINDOW:
                delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
            if endpoint.failing_since is None:
                endpoint.failing_since = sent_at
            elif now - endpoint.failing_since >= RETRY_WINDOW and endpoint.disabled_at is None:
                await disable_failing(session, endpoint, now=now)
        await session.flush()
        if checkpoint is not None:
            await checkpoint()
    return Delivered(delivered, failed)


async def disable_failing(session: AsyncSession, endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """Every attempt has failed for 3 days: disable, fail what is pending, tell the holder."""
    reason = "every delivery failed for 3 days"
    endpoint.disabled_at, endpoint.disabled_reason = now, reason
    await fail_pending(session, endpoint, reason=f"endpoint disabled: {reason}")
    account = await session.get(Account, endpoint.account_id)
    await notices.send_electronic(
        session,
        account_id=endpoint.account_id,
        addressee=account.contact_person if account is not None else "account holder",
        subject="Webhook endpoint disabled",
        body=(
            f"Every delivery to your webhook endpoint {endpoint.url} has failed since "
            f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC, so it has been disabled. Events since "
            "then are not delivered to it; create a new endpoint once your receiver answers 2xx."
        ),
        sent_by=SYSTEM,
        now=now,
    )
