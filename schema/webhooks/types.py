"""Webhook endpoints and their delivery log (issue 14, CONTRACT.md "Webhooks")."""

import uuid
from datetime import datetime

import strawberry

from models import DeliveryState as DeliveryStateValue
from models import WebhookDelivery as DeliveryRow
from models import WebhookEndpoint as EndpointRow
from schema.context import AccordInfo
from schema.payloads import Payload
from schema.relay import Connection, Node, encode_id, paginate
from services import events
from services.webhooks import endpoints

DeliveryState = strawberry.enum(DeliveryStateValue, name="DeliveryState")


@strawberry.type(description="One event for one endpoint: its attempts and their outcome (issue 14).")
class WebhookDelivery(Node):
    event_id: str = strawberry.field(description="The event id the receiver de-duplicates on (Accord-Event-Id).")
    event_type: str
    state: DeliveryState
    attempts: int
    last_status_code: int | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None

    @staticmethod
    def from_model(row: DeliveryRow) -> "WebhookDelivery":
        return WebhookDelivery(
            id=encode_id("WebhookDelivery", row.id),
            event_id=f"evt_{row.event_id.hex}",
            event_type=row.event_type,
            state=row.state,
            attempts=row.attempts,
            last_status_code=row.last_status_code,
            last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at,
        )


@strawberry.type(description="Partner integrations: events pushed to an HTTPS endpoint (CONTRACT.md, Webhooks).")
class WebhookEndpoint(Node):
    url: str
    events: list[str] = strawberry.field(description="Event types delivered; empty means all.")
    disabled: bool
    created_at: datetime
    key: strawberry.Private[uuid.UUID]

    @staticmethod
    def from_model(row: EndpointRow) -> "WebhookEndpoint":
        return WebhookEndpoint(
            id=encode_id("WebhookEndpoint", row.id),
            url=row.url,
            events=list(row.events or []),
            disabled=row.disabled_at is not None,
            created_at=row.created_at,
            key=row.id,
        )

    @strawberry.field(description="The delivery log, oldest first: state, attempts, last response code.")
    async def deliveries(
        self, info: AccordInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        return await paginate(
            first,
            after,
            endpoints.page_deliveries,
            WebhookDelivery.from_model,
            info.context.session,
            endpoint_id=self.key,
        )


@strawberry.input
class CreateWebhookEndpointInput:
    url: str
    events: list[str] | None = strawberry.field(
        default=None, description=f"Event types to deliver (empty or absent: all of {len(events.EVENT_TYPES)})."
    )


@strawberry.type
class WebhookEndpointPayload(Payload):
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(default=None, description="shown once, on create and rotate")
