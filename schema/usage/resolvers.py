"""BIL-1: reportUsage, for the vendor's metering clients (usage:write) and ADMIN corrections."""

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.context import AccordInfo
from schema.enums import Standing
from schema.grants import USAGE_WRITERS
from schema.mutations import run_mutation
from schema.payloads import Payload
from schema.permissions import Requires
from schema.relay import decode_id
from services.billing import usage
from services.errors import NotFound


@strawberry.input
class ReportUsageInput:
    app: strawberry.ID = strawberry.field(description="The AppID: its global ID or the public AppID string.")
    product: str
    quantity: Decimal
    terminal: str
    scenario: str
    occurred_at: datetime
    idempotency_key: str


@strawberry.type
class ReportUsagePayload(Payload):
    accepted: bool = False
    duplicate: bool = False
    standing: Standing | None = strawberry.field(
        default=None, description="The AppID's standing now: SUSPENDED or TERMINATED means stop serving it (ENF-5)."
    )
    flagged_for_review: bool = strawberry.field(
        default=False, description="Usage for a time the AppID was suspended or terminated: kept and flagged (ENF-5)."
    )


@strawberry.type
class UsageMutation:
    @strawberry.mutation(
        description=(
            "Report metered usage (the metering clients), or correct it (ADMIN); idempotent on idempotencyKey (BIL-1)."
        ),
        extensions=[Requires(USAGE_WRITERS)],
    )
    async def report_usage(self, info: AccordInfo, input: ReportUsageInput) -> ReportUsagePayload:
        context = info.context
        decoded = decode_id(input.app)
        app = await usage.find_app(
            context.session, input.app, key=decoded[1] if decoded and decoded[0] == "App" else None
        )

        async def call():
            if app is None:
                raise NotFound("no such AppID", field=["app"])
            return await usage.report_usage(
                context.session,
                app=app,
                product=input.product,
                quantity=input.quantity,
                terminal=input.terminal,
                scenario=input.scenario,
                occurred_at=input.occurred_at,
                idempotency_key=input.idempotency_key,
                reported_by=context.actor.principal,
                now=context.clock.now(),
            )

        return await run_mutation(
            info,
            payload=ReportUsagePayload,
            call=call,
            target=f"usage:{input.idempotency_key}",
            account_id=None if app is None else app.account_id,
            ok=lambda reported: ReportUsagePayload(
                accepted=True,
                duplicate=reported.duplicate,
                standing=app.standing,
                flagged_for_review=reported.record.flagged_for_review,
            ),
        )
