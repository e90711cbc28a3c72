"""The account-event outbox (issue 14). ``record`` writes an event in the caller's transaction:
the change that causes it and the event commit or roll back together. Webhook delivery and the
``accountEvents`` subscription read the rows afterwards; nothing here talks to the network, so a
request is never held up by a partner's endpoint.

Event types are the contract's (CONTRACT.md, "Webhooks"); ``data`` is JSON-safe (amounts as
strings of yuan, ids as global IDs or UUID strings, instants as ISO 8601)."""

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models import AccountEvent
from services.batch import new_row

EVENT_TYPES = frozenset(
    {
        "bill.issued",
        "bill.deemed_accepted",
        "bill.settled",
        "dispute.resolved",
        "topup.pending",
        "topup.credited",
        "payment.confirmed",
        "arrears.notice",
        "penalty.accrued",
        "measure.applied",
        "measure.lifted",
        "termination.scheduled",
        "notice.sent",
        "invoice.issued",
        "invoice.reversed",
        "app.secret_rotated",
    }
)


async def record(
    session: AsyncSession, *, account_id: uuid.UUID, type: str, at: datetime, data: dict[str, Any]
) -> AccountEvent:
    """Write one event in the current transaction (the outbox row)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")  # a programming error, not input
    event = AccountEvent(account_id=account_id, type=type, occurred_at=at, data=data)
    session.add(event)
    await session.flush()
    await _announce(session, [account_id])
    return event


def event_row(*, account_id: uuid.UUID, type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """One event as a row for ``record_many`` (the bill run records thousands at once)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    return new_row(at, account_id=account_id, type=type, occurred_at=at, data=data)


async def record_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Write many events in one statement, in the current transaction."""
    if rows:
        await session.execute(insert(AccountEvent), rows)
        await _announce(session, list({row["account_id"] for row in rows}))


# The PostgreSQL channel the live subscription listens on (api/live.py).
CHANNEL = "accord_events"
# Where a transaction's evented accounts are collected (a Redis publisher reads them after commit).
ANNOUNCED = "accord_event_accounts"


async def _announce(session: AsyncSession, account_ids: list[uuid.UUID]) -> None:
    """Wake the live subscribers of these accounts once this transaction commits: PostgreSQL's
    NOTIFY is transactional (a rolled-back change wakes nobody) and folds repeats within one
    transaction; other backends read ``session.info`` after the commit (api/live.py)."""
    session.info.setdefault(ANNOUNCED, set()).update(account_ids)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_notify(:channel, a) FROM unnest(CAST(:accounts AS text[])) AS a"),
            {"channel": CHANNEL, "accounts": [str(a) for a in account_ids]},
        )


def iso(at: datetime | None) -> str | None:
    """An instant as the wire shows it (ISO 8601, UTC, ``Z``)."""
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def global_id(type_name: str, key: uuid.UUID) -> str:
    """The GraphQL global ID of an object (the same encoding as schema.relay.encode_id, which
    services may not import)."""
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode()


def wire_id(event: AccountEvent) -> str:
    """The event id partners de-duplicate on (``Accord-Event-Id``)."""
    return f"evt_{event.id.hex}"


def body(event: AccountEvent) -> bytes:
    """The JSON body a webhook receives and the subscription's ``payload`` (CONTRACT.md)."""
    document = {
        "id": wire_id(event),
        "type": event.type,
        "occurredAt": iso(event.occurred_at),
        "accountId": global_id("Account", event.account_id),
        "data": event.data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def id_bound(at: datetime) -> uuid.UUID:
    """The smallest UUIDv7 minted at ``at`` (real time): event ids are UUIDv7, so "every event
    recorded since ``at``" is ``id >= id_bound(at)``."""
    return uuid.UUID(int=int(at.timestamp() * 1000) << 80)


async def recent(
    session: AsyncSession, *, account_id: uuid.UUID, since: uuid.UUID, types: frozenset[str]
) -> list[AccountEvent]:
    """The account's events with ids from ``since`` on, of ``types``, oldest first (the live
    subscription's read: scoped to the one account by construction)."""
    query = (
        select(AccountEvent)
        .where(AccountEvent.account_id == account_id, AccountEvent.id >= since, AccountEvent.type.in_(types))
        .order_by(AccountEvent.id)
        .limit(1000)
    )
    return list((await session.execute(query)).scalars().all())
