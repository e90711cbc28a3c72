from datetime import datetime

import strawberry
from strawberry.types import Info

from auth.principal import Scope, StaffRole
from models import Refund as RefundRow
from models import TopUp as TopUpRow
from schema.accounts.common import own_account
from schema.accounts.types import IdInput
from schema.billing.types import (
    ConfirmOnlinePaymentInput,
    LedgerEntry,
    LedgerPayload,
    Notice,
    NoticePayload,
    Price,
    PriceChangeInput,
    RequestRefundInput,
    TopUpInput,
)
from schema.ids import key_of, key_or_none
from schema.mutations import run_mutation
from schema.permissions import Grant, Requires, authenticated
from schema.relay import encode_id
from services.accounts.repository import owning_account
from services.billing import prices
from services.ledger import online, refunds, topups


def _ledger_payload(result: topups.TopUpResult) -> LedgerPayload:
    return LedgerPayload(
        entry=None if result.entry is None else LedgerEntry.from_model(result.entry),
        pending=result.pending,
        top_up_id=encode_id("TopUp", result.top_up.id),
    )


@strawberry.type
class BillingQuery:
    @strawberry.field(
        description="NTC-2: the standard price list in force at `at` (default now).", extensions=authenticated()
    )
    async def price_list(self, info: Info, at: datetime | None = None) -> list[Price]:
        context = info.context
        in_force = await prices.price_list(context.session, at=at or context.clock.now())
        return [Price.from_price(p) for p in in_force]


@strawberry.type
class BillingMutation:
    @strawberry.mutation(
        description="NTC-2 (staff ADMIN): a law-required price change, announced by email 7+ days ahead.",
        extensions=[Requires(Grant(roles=frozenset({StaffRole.ADMIN})))],
    )
    async def schedule_price_change(self, info: Info, input: PriceChangeInput) -> NoticePayload:
        context = info.context
        return await run_mutation(
            info,
            payload=NoticePayload,
            target=f"price:{input.product}",
            call=lambda: prices.schedule_price_change(
                context.session,
                product=input.product,
                unit_price=input.unit_price,
                effective_from=input.effective_from,
                legal_basis=input.legal_basis,
                sent_by=context.actor.principal,
                now=context.clock.now(),
            ),
            ok=lambda row: NoticePayload(notice=Notice.from_model(row)),
        )

    @strawberry.mutation(
        description=(
            "PRE-2: nothing is credited on request: ONLINE is pending until the payment gateway confirms "
            "(confirmOnlinePayment, within 24 hours), BANK_TRANSFER until FINANCE confirms receipt. Idempotent."
        ),
        extensions=[Requires(Grant(scope=Scope.BILLING_TOPUP))],
    )
    async def top_up(self, info: Info, input: TopUpInput) -> LedgerPayload:
        context = info.context

        async def call():
            return await topups.top_up(
                context.session,
                account=await own_account(context),
                amount=input.amount,
                method=input.method,
                reference=input.reference,
                idempotency_key=input.idempotency_key,
                now=context.clock.now(),
            )

        return await run_mutation(info, payload=LedgerPayload, call=call, ok=_ledger_payload)

    @strawberry.mutation(
        description="PRE-6: after the agreement ended, ask for the remaining prepayment back (FINANCE pays).",
        extensions=[Requires(Grant(holder=True))],
    )
    async def request_refund(self, info: Info, input: RequestRefundInput) -> LedgerPayload:
        context = info.context

        async def call():
            return await refunds.request_refund(
                context.session,
                account=await own_account(context),
                amount=input.amount,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
                now=context.clock.now(),
            )

        return await run_mutation(
            info,
            payload=LedgerPayload,
            call=call,
            ok=lambda row: LedgerPayload(pending=row.state == "PENDING", refund_id=encode_id("Refund", row.id)),
        )

    @strawberry.mutation(
        description="PRE-6 (staff FINANCE): pay a refund from a balance that still covers it.",
        extensions=[Requires(Grant(roles=frozenset({StaffRole.FINANCE})))],
    )
    async def pay_refund(self, info: Info, input: IdInput) -> LedgerPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=LedgerPayload,
            target=str(input.id),
            account_id=await owning_account(context.session, RefundRow, key_or_none(input.id, "Refund")),
            call=lambda: refunds.pay_refund(
                context.session,
                refund_id=key_of(input.id, "Refund"),
                paid_by=context.actor.principal,
                now=context.clock.now(),
            ),
            ok=lambda entry: LedgerPayload(entry=LedgerEntry.from_model(entry), pending=False),
        )

    @strawberry.mutation(
        description=(
            "PRE-2 (the payment gateway's client with payments:confirm, or staff FINANCE): the provider received "
            "an ONLINE top-up; credit exactly its amount, once per providerTransactionId."
        ),
        extensions=[Requires(Grant(roles=frozenset({StaffRole.FINANCE}), scope=Scope.PAYMENTS_CONFIRM))],
    )
    async def confirm_online_payment(self, info: Info, input: ConfirmOnlinePaymentInput) -> LedgerPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=LedgerPayload,
            target=str(input.top_up_id),
            account_id=await owning_account(context.session, TopUpRow, key_or_none(input.top_up_id, "TopUp")),
            call=lambda: online.confirm_online_payment(
                context.session,
                top_up_id=key_of(input.top_up_id, "TopUp", "topUpId"),
                provider_transaction_id=input.provider_transaction_id,
                amount=input.amount,
                paid_at=input.paid_at,
                confirmed_by=context.actor.principal,
                now=context.clock.now(),
            ),
            ok=_ledger_payload,
        )

    @strawberry.mutation(
        description="PRE-2 (staff FINANCE): the bank transfer arrived; credit it once.",
        extensions=[Requires(Grant(roles=frozenset({StaffRole.FINANCE})))],
    )
    async def confirm_bank_transfer(self, info: Info, input: IdInput) -> LedgerPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=LedgerPayload,
            target=str(input.id),
            account_id=await owning_account(context.session, TopUpRow, key_or_none(input.id, "TopUp")),
            call=lambda: topups.confirm_bank_transfer(
                context.session,
                top_up_id=key_of(input.id, "TopUp"),
                confirmed_by=context.actor.principal,
                now=context.clock.now(),
            ),
            ok=_ledger_payload,
        )
