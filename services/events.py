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

from sqlalchemy.ext.asyncio import AsyncSession

from models import AccountEvent

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
    return event


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
        "occurredAt": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "accountId": global_id("Account", event.account_id),
        "data": event.data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
