"""createWebhookEndpoint, disableWebhookEndpoint, rotateWebhookSecret (issue 14)."""

import strawberry

from schema.accounts.common import own_account
from schema.context import AccordInfo
from schema.grants import WEBHOOK_READERS, WEBHOOK_WRITERS
from schema.ids import key_of
from schema.inputs import IdInput
from schema.mutations import run_mutation
from schema.permissions import Requires
from schema.scoped import owned_node
from schema.webhooks.live import readable_types
from schema.webhooks.types import CreateWebhookEndpointInput, WebhookDelivery, WebhookEndpoint, WebhookEndpointPayload
from services import events
from services.errors import InsufficientPermission
from services.webhooks import endpoints


def _payload(result: endpoints.WithSecret | object) -> WebhookEndpointPayload:
    if isinstance(result, endpoints.WithSecret):
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(result.endpoint), secret=result.secret)
    return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(result))


def _readable(context, chosen: list[str] | None) -> list[str] | None:
    """ACC-8 / SEC-1: an endpoint carries only the events its creator's grants read, as the live
    feed does (a webhooks:write grant alone must not route bills and invoices to a new URL).
    A holder reads every type: ``None`` (all) stays all."""
    readable = readable_types(context.principal.scopes)
    if readable == events.EVENT_TYPES:
        return chosen
    if not chosen:
        return sorted(readable) or _refuse("no event type is readable with these grants")
    unreadable = sorted(set(chosen) - readable)
    if unreadable:
        _refuse(f"{unreadable[0]} events need a grant to read them")
    return chosen


def _refuse(message: str):
    raise InsufficientPermission(message, field=["events"])


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description=(
            "Register an endpoint for the account's events; the signing secret is shown once. https only "
            "(development and test also http://127.0.0.1 and localhost); production refuses loopback, private "
            "and link-local addresses, also after DNS resolution."
        ),
        extensions=[Requires(WEBHOOK_WRITERS)],
    )
    async def create_webhook_endpoint(
        self, info: AccordInfo, input: CreateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        context = info.context

        async def call() -> endpoints.WithSecret:
            return await endpoints.create(
                context.session,
                account=await own_account(context),
                url=input.url,
                events=_readable(context, input.events),
                data_key=await context.data_key(),
                production=context.production,
                created_by=context.actor.principal,
            )

        return await run_mutation(
            info, payload=WebhookEndpointPayload, call=call, target="webhook-endpoint", ok=_payload
        )

    @strawberry.mutation(
        description="Stop delivering to an endpoint; what was still pending is FAILED.",
        extensions=[Requires(WEBHOOK_WRITERS)],
    )
    async def disable_webhook_endpoint(self, info: AccordInfo, input: IdInput) -> WebhookEndpointPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=WebhookEndpointPayload,
            call=lambda: endpoints.disable(
                context.session,
                key=key_of(input.id, "WebhookEndpoint"),
                account_id=context.principal.account_id,
                now=context.clock.now(),
            ),
            target=str(input.id),
            ok=_payload,
        )

    @strawberry.mutation(
        description="A new signing secret, shown once; every request from now on is signed with it.",
        extensions=[Requires(WEBHOOK_WRITERS)],
    )
    async def rotate_webhook_secret(self, info: AccordInfo, input: IdInput) -> WebhookEndpointPayload:
        context = info.context

        async def call() -> endpoints.WithSecret:
            return await endpoints.rotate_secret(
                context.session,
                key=key_of(input.id, "WebhookEndpoint"),
                account_id=context.principal.account_id,
                data_key=await context.data_key(),
            )

        return await run_mutation(info, payload=WebhookEndpointPayload, call=call, target=str(input.id), ok=_payload)


owned_node(
    "WebhookEndpoint",
    find=endpoints.endpoint_in_scope,
    grant=WEBHOOK_READERS,
    to_node=WebhookEndpoint.from_model,
    target=lambda row: f"webhook-endpoint:{row.id}",
)
owned_node(
    "WebhookDelivery",
    find=endpoints.delivery_in_scope,
    grant=WEBHOOK_READERS,
    to_node=WebhookDelivery.from_model,
    target=lambda row: f"webhook-delivery:{row.id}",
)
