"""Queries and steps the webhook tests share."""

from datetime import datetime

from sqlalchemy import select

from models import AccountEvent, WebhookDelivery
from services.accounts.personal_data import development_key
from services.clock import Clock
from services.webhooks import delivery
from services.webhooks.network import Sender
from tests.conftest import gql

CREATE = """
mutation C($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    endpoint { id url events disabled createdAt }
    secret
    userErrors { code field message }
  }
}"""
ROTATE = "mutation R($id: ID!) { rotateWebhookSecret(input: {id: $id}) { secret endpoint { id } userErrors { code } } }"
DISABLE = (
    "mutation D($id: ID!) { disableWebhookEndpoint(input: {id: $id}) { endpoint { disabled } userErrors { code } } }"
)
LIST = """
query L {
  account { webhookEndpoints { id url disabled
    deliveries(first: 50) { edges { node { id eventId eventType state attempts lastStatusCode lastAttemptAt nextAttemptAt } } }
  } }
}"""
NODE = "query N($id: ID!) { node(id: $id) { id ... on WebhookEndpoint { url } } }"
STAFF_LIST = """
query S($id: ID!) { account(id: $id) { webhookEndpoints { id url } } }"""

LOCAL = Sender(production=False)


async def create_endpoint(client, who, url: str, events: list[str] | None = None) -> dict:
    body = await gql(client, CREATE, {"input": {"url": url, "events": events}}, headers=who.headers)
    payload = body["data"]["createWebhookEndpoint"]
    assert payload["userErrors"] == [], payload
    return payload


async def sweep(session, clock: Clock, sender: Sender = LOCAL, *, checkpoint: bool = True) -> delivery.Delivered:
    """The sweep's two webhook jobs, committing as `accord jobs run` does."""
    key = await development_key(session)
    await delivery.fan_out(session, now=clock.now())
    await session.commit()
    sent = await delivery.deliver_due(
        session, sender=sender, data_key=key, clock=clock, checkpoint=session.commit if checkpoint else None
    )
    await session.commit()
    return sent


async def deliveries(session) -> list[WebhookDelivery]:
    session.expire_all()
    return list((await session.execute(select(WebhookDelivery).order_by(WebhookDelivery.event_id))).scalars())


async def events_of(session, account_id, since: datetime | None = None) -> list[AccountEvent]:
    session.expire_all()
    query = select(AccountEvent).where(AccountEvent.account_id == account_id).order_by(AccountEvent.id)
    return list((await session.execute(query)).scalars())
