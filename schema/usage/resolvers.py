"""BIL-1: reportUsage, for the vendor's metering clients (usage:write) and ADMIN corrections."""

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.context import AccordInfo
from schema.enums import Standing
from schema.errors import UserError
from schema.grants import USAGE_WRITERS
from schema.inputs import flat_input
from schema.mutations import run_mutation
from schema.payloads import Payload
from schema.permissions import Requires
from schema.relay import decode_id
from services.billing import usage, usage_batch
from services.errors import InvalidInput, NotFound


@flat_input
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


@flat_input
@strawberry.input
class ReportUsageBatchInput:
    records: list[ReportUsageInput] = strawberry.field(description="At most 1,000 records.")


@strawberry.type
class UsageRecordResult:
    idempotency_key: str
    accepted: bool
    duplicate: bool
    error: UserError | None = strawberry.field(
        description="Why this record was not accepted: IDEMPOTENCY_CONFLICT, or the code reportUsage would answer."
    )


@strawberry.type
class ReportUsageBatchPayload(Payload):
    results: list[UsageRecordResult] = strawberry.field(default_factory=list)


def _items(records: list[ReportUsageInput]) -> list[usage_batch.UsageItem]:
    keys = {}  # a batch names a few AppIDs many times: each decoded once
    for reference in {record.app for record in records}:
        decoded = decode_id(reference)
        keys[reference] = decoded[1] if decoded and decoded[0] == "App" else None
    return [_item(record, keys[record.app]) for record in records]


def _item(record: ReportUsageInput, app_key: object) -> usage_batch.UsageItem:
    return usage_batch.UsageItem(
        app=record.app,
        app_key=app_key,
        product=record.product,
        quantity=record.quantity,
        terminal=record.terminal,
        scenario=record.scenario,
        occurred_at=record.occurred_at,
        idempotency_key=record.idempotency_key,
    )


def _result(result: usage_batch.ItemResult) -> UsageRecordResult:
    error = result.error
    return UsageRecordResult(
        idempotency_key=result.idempotency_key,
        accepted=result.accepted,
        duplicate=result.duplicate,
        error=None if error is None else UserError(code=error.code, field=error.field, message=error.message),
    )


@strawberry.type
class UsageMutation:
    @strawberry.mutation(
        description=(
            "Report up to 1,000 usage records in one call, each idempotent on its own idempotencyKey, "
            "with a result per record in the order sent (BIL-1)."
        ),
        extensions=[Requires(USAGE_WRITERS)],
    )
    async def report_usage_batch(self, info: AccordInfo, input: ReportUsageBatchInput) -> ReportUsageBatchPayload:
        context = info.context

        async def call():
            if len(input.records) > usage_batch.MAX_BATCH:
                raise InvalidInput(f"at most {usage_batch.MAX_BATCH} records per call", field=["records"])
            return await usage_batch.report_usage_batch(
                context.session,
                items=_items(input.records),
                reported_by=context.actor.principal,
                now=context.clock.now(),
            )

        return await run_mutation(
            info,
            payload=ReportUsageBatchPayload,
            call=call,
            target=f"usage-batch:{len(input.records)} records",
            ok=lambda outcome: ReportUsageBatchPayload(results=[_result(r) for r in outcome.results]),
        )

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
