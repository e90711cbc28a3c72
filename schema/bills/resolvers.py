"""Bill run, confirm/dispute/resolve, the deadline sweep, and supplementary-agreement terms."""

from datetime import date, datetime
from decimal import Decimal

import strawberry

from models import Bill as BillRow
from models import DiscountCondition as DiscountConditionValue
from schema.accounts.common import named_account
from schema.bills.types import (
    Bill,
    BillDispute,
    BillPayload,
    DisputeBillInput,
    HeldBill,
    JobResult,
    ResolveDisputeInput,
    RunDueJobsPayload,
    RunMonthlyBillingInput,
    RunMonthlyBillingPayload,
    held_bill,
)
from schema.context import AccordInfo
from schema.grants import ADMIN, BILL_CONFIRMERS, BILL_DISPUTERS, BILLING_READERS, FINANCE, FINANCE_OR_ADMIN
from schema.ids import key_of, key_or_none
from schema.inputs import IdInput
from schema.mutations import run_mutation
from schema.payloads import Payload
from schema.permissions import Requires, allowed
from schema.relay import encode_id
from schema.scoped import owned_node
from services import audit, jobs
from services.accounts.repository import owning_account
from services.billing import agreements, bills, run
from services.billing import repository as bill_repository

DiscountCondition = strawberry.enum(DiscountConditionValue, name="DiscountCondition")


@strawberry.input
class AgreementPriceInput:
    account_id: strawberry.ID
    product: str
    unit_price: Decimal
    effective_from: datetime


@strawberry.input
class DiscountInput:
    account_id: strawberry.ID
    product: str
    percent: Decimal = strawberry.field(description="e.g. 12.5 for 12.5 % off")
    condition: DiscountCondition
    threshold: Decimal = strawberry.field(description="a monthly quantity in the product's unit, or whole months")
    valid_from: date
    valid_until: date | None = None
    reference: str = strawberry.field(description="the supplementary agreement")


@strawberry.type
class AgreementPayload(Payload):
    id: strawberry.ID | None = None


def _bill_payload(row: BillRow) -> BillPayload:
    return BillPayload(bill=Bill.from_model(row))


@strawberry.type
class BillQuery:
    @strawberry.field(
        description="Bills held for unpriced usage, optionally of one month (BIL-2).",
        extensions=allowed(FINANCE_OR_ADMIN),
    )
    async def held_bills(self, info: AccordInfo, period: date | None = None) -> list[HeldBill]:
        context = info.context
        rows = await run.holds(context.session, period)
        if rows:  # SEC-1: a staff read across accounts is audited on each account it showed
            await audit.record_many(
                context.session,
                clock=context.clock,
                actor=context.actor,
                action="heldBills.list",
                targets=[(row.account_id, f"bill-hold:{row.period:%Y-%m}") for row in rows],
            )
        return [held_bill(row.account_id, list(row.products), row.period) for row in rows]


@strawberry.type
class BillMutation:
    @strawberry.mutation(
        description="Bill a month; idempotent. Unpriced usage holds a bill (BIL-4, BIL-2).",
        extensions=[Requires(FINANCE_OR_ADMIN)],
    )
    async def run_monthly_billing(self, info: AccordInfo, input: RunMonthlyBillingInput) -> RunMonthlyBillingPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=RunMonthlyBillingPayload,
            target=f"period:{input.period.isoformat()}",
            call=lambda: run.run_monthly_billing(
                context.session, period=input.period, ran_by=context.actor.principal, now=context.clock.now()
            ),
            ok=lambda result: RunMonthlyBillingPayload(
                issued=result.issued,
                held=result.held,
                held_bills=[held_bill(key, products, input.period) for key, products in result.unpriced.items()],
            ),
        )

    @strawberry.mutation(
        description="Accept the bill within 2 working days of delivery; it is then settled (BIL-5, BIL-6).",
        extensions=[Requires(BILL_CONFIRMERS)],
    )
    async def confirm_bill(self, info: AccordInfo, input: IdInput) -> BillPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=BillPayload,
            target=str(input.id),
            call=lambda: bills.confirm(
                context.session,
                bill_id=key_of(input.id, "Bill"),
                account_id=context.principal.account_id,
                now=context.clock.now(),
            ),
            ok=_bill_payload,
        )

    @strawberry.mutation(
        description="Dispute an amount within 2 working days of delivery; one open dispute per bill (BIL-5, BIL-7).",
        extensions=[Requires(BILL_DISPUTERS)],
    )
    async def dispute_bill(self, info: AccordInfo, input: DisputeBillInput) -> BillPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=BillPayload,
            target=str(input.id),
            call=lambda: bills.dispute(
                context.session,
                bill_id=key_of(input.id, "Bill"),
                account_id=context.principal.account_id,
                amount=input.amount,
                reason=input.reason,
                opened_by=context.actor.principal,
                now=context.clock.now(),
            ),
            ok=_bill_payload,
        )

    @strawberry.mutation(
        description="Reject a bill dispute, or accept it with a credit up to the disputed amount; then settle (BIL-7).",
        extensions=[Requires(FINANCE)],
    )
    async def resolve_dispute(self, info: AccordInfo, input: ResolveDisputeInput) -> BillPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=BillPayload,
            target=str(input.id),
            account_id=await owning_account(context.session, BillRow, key_or_none(input.id, "Bill")),
            call=lambda: bills.resolve(
                context.session,
                bill_id=key_of(input.id, "Bill"),
                accept=input.accept,
                adjustment=input.adjustment,
                note=input.note,
                resolved_by=context.actor.principal,
                now=context.clock.now(),
            ),
            ok=_bill_payload,
        )

    @strawberry.mutation(
        description="Run every due deadline job now (the same sweep the scheduler runs); idempotent.",
        extensions=[Requires(ADMIN)],
    )
    async def run_due_jobs(self, info: AccordInfo) -> RunDueJobsPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=RunDueJobsPayload,
            call=lambda: jobs.run_due_jobs(context.session, mailer=context.mailer, clock=context.clock),
            ok=lambda results: RunDueJobsPayload(results=[JobResult(job=r.job, changed=r.changed) for r in results]),
        )

    @strawberry.mutation(
        description="Set a supplementary-agreement price for one account (BIL-2).",
        extensions=[Requires(FINANCE_OR_ADMIN)],
    )
    async def set_agreement_price(self, info: AccordInfo, input: AgreementPriceInput) -> AgreementPayload:
        context = info.context

        async def call():
            account = await named_account(context, input.account_id)
            return await agreements.set_agreement_price(
                context.session,
                account=account,
                product=input.product,
                unit_price=input.unit_price,
                effective_from=input.effective_from,
            )

        return await run_mutation(
            info,
            payload=AgreementPayload,
            call=call,
            target=f"price:{input.product}",
            account_id=key_or_none(input.account_id, "Account"),
            ok=lambda row: AgreementPayload(id=encode_id("AgreementPrice", row.id)),
        )

    @strawberry.mutation(
        description="Grant a conditional discount; unmet conditions bill the plain price (BIL-3).",
        extensions=[Requires(FINANCE_OR_ADMIN)],
    )
    async def grant_discount(self, info: AccordInfo, input: DiscountInput) -> AgreementPayload:
        context = info.context

        async def call():
            account = await named_account(context, input.account_id)
            return await agreements.grant_discount(
                context.session,
                account=account,
                product=input.product,
                percent=input.percent,
                condition=input.condition,
                threshold=input.threshold,
                valid_from=input.valid_from,
                valid_until=input.valid_until,
                reference=input.reference,
                granted_by=context.actor.principal,
            )

        return await run_mutation(
            info,
            payload=AgreementPayload,
            call=call,
            target=f"discount:{input.product}",
            account_id=key_or_none(input.account_id, "Account"),
            ok=lambda row: AgreementPayload(id=encode_id("Discount", row.id)),
        )


# SEC-1: another account's bill, or one not yet delivered, is simply not found; a dispute is
# scoped by its bill's account.
owned_node(
    "Bill",
    find=bill_repository.bill_in_scope,
    grant=BILLING_READERS,
    to_node=Bill.from_model,
    target=lambda row: f"bill:{row.id}",
)
owned_node(
    "BillDispute",
    find=bill_repository.dispute_in_scope,
    grant=BILLING_READERS,
    to_node=lambda found: BillDispute.from_model(found[0]),
    target=lambda found: f"bill-dispute:{found[0].id}",
    account_of=lambda found: found[1],
)
