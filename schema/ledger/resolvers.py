"""Top-ups, online payments and refunds of the prepaid balance (PRE-2, PRE-6)."""

import strawberry

from models import Refund as RefundRow
from models import RefundState
from models import TopUp as TopUpRow
from schema.accounts.common import own_account
from schema.context import AccordInfo
from schema.grants import FINANCE, HOLDER, PAYMENT_CONFIRMERS, TOP_UP
from schema.ids import key_of, key_or_none
from schema.inputs import IdInput
from schema.ledger.types import (
    ConfirmOnlinePaymentInput,
    LedgerEntry,
    LedgerPayload,
    RequestRefundInput,
    TopUpInput,
)
from schema.mutations import run_mutation
from schema.permissions import Requires
from schema.relay import encode_id
from services.accounts.repository import owning_account
from services.ledger import online, refunds, topups


def _ledger_payload(result: topups.TopUpResult) -> LedgerPayload:
    return LedgerPayload(
        entry=None if result.entry is None else LedgerEntry.from_model(result.entry),
        pending=result.pending,
        top_up_id=encode_id("TopUp", result.top_up.id),
    )


@strawberry.type
class LedgerMutation:
    @strawberry.mutation(
        description=(
            "Nothing is credited on request: ONLINE is pending until the payment gateway confirms "
            "(confirmOnlinePayment, within 24 hours), BANK_TRANSFER until FINANCE confirms receipt. "
            "Idempotent (PRE-2)."
        ),
        extensions=[Requires(TOP_UP)],
    )
    async def top_up(self, info: AccordInfo, input: TopUpInput) -> LedgerPayload:
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
        description="After the agreement ended, ask for the remaining prepayment back (FINANCE pays) (PRE-6).",
        extensions=[Requires(HOLDER)],
    )
    async def request_refund(self, info: AccordInfo, input: RequestRefundInput) -> LedgerPayload:
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
            ok=lambda row: LedgerPayload(
                pending=row.state == RefundState.PENDING, refund_id=encode_id("Refund", row.id)
            ),
        )

    @strawberry.mutation(
        description="Pay a refund from a balance that still covers it (PRE-6).",
        extensions=[Requires(FINANCE)],
    )
    async def pay_refund(self, info: AccordInfo, input: IdInput) -> LedgerPayload:
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
            "The provider received an ONLINE top-up: credit exactly its amount, once per providerTransactionId (PRE-2)."
        ),
        extensions=[Requires(PAYMENT_CONFIRMERS)],
    )
    async def confirm_online_payment(self, info: AccordInfo, input: ConfirmOnlinePaymentInput) -> LedgerPayload:
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
        description="The bank transfer arrived: credit it once (PRE-2).",
        extensions=[Requires(FINANCE)],
    )
    async def confirm_bank_transfer(self, info: AccordInfo, input: IdInput) -> LedgerPayload:
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
