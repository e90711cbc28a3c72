"""Invoice mutations (INV-1 to INV-5): thin calls into services.invoices."""

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from models import Invoice as InvoiceRow
from schema.accounts.common import holder_account_mutation, own_account
from schema.accounts.payloads import AccountPayload
from schema.context import AccordInfo
from schema.grants import FINANCE, HOLDER, INVOICE_REQUESTERS
from schema.ids import key_of, key_or_none
from schema.inputs import IdInput
from schema.invoices.types import (
    Invoice,
    InvoicePayload,
    InvoiceProfileInput,
    InvoiceReversalInput,
    RequestInvoiceInput,
    UploadDocumentInput,
)
from schema.mutations import run_mutation
from schema.permissions import Requires
from services.accounts.repository import owning_account
from services.invoices import invoices, profile, reversals


def _invoice_payload(row: InvoiceRow) -> InvoicePayload:
    return InvoicePayload(invoice=Invoice.from_model(row))


async def _finance_step(info: AccordInfo, input: IdInput, step: Callable[..., Awaitable[Any]]) -> InvoicePayload:
    """FINANCE moves an invoice on (issued, delivered), audited on the invoice's account."""
    context = info.context
    return await run_mutation(
        info,
        payload=InvoicePayload,
        target=str(input.id),
        account_id=await owning_account(context.session, InvoiceRow, key_or_none(input.id, "Invoice")),
        call=lambda: step(
            context.session, invoice_id=key_of(input.id, "Invoice"), now=context.clock.now(), by=context.actor.principal
        ),
        ok=_invoice_payload,
    )


@strawberry.type
class InvoiceMutation:
    @strawberry.mutation(
        description="Set the invoice profile; every changed field is kept as a change record (INV-1).",
        extensions=[Requires(HOLDER)],
    )
    async def set_invoice_profile(self, info: AccordInfo, input: InvoiceProfileInput) -> AccountPayload:
        context = info.context
        return await holder_account_mutation(
            info,
            lambda account: profile.set_profile(
                context.session,
                account=account,
                title=input.title,
                taxpayer_id=input.taxpayer_id,
                address_phone=input.address_phone,
                bank_account=input.bank_account,
                now=context.clock.now(),
                actor=context.actor,
            ),
        )

    @strawberry.mutation(
        description=(
            "Put the general-taxpayer qualification certificate on file: a PDF, PNG or JPEG of at most 10 MB, "
            "recognised by content (INV-3). Sent base64 in the JSON body, whose 1 MiB limit (CONTRACT.md) "
            "comes first: about 750 KB of file."
        ),
        extensions=[Requires(HOLDER)],
    )
    async def upload_taxpayer_certificate(self, info: AccordInfo, input: UploadDocumentInput) -> AccountPayload:
        context = info.context
        return await holder_account_mutation(
            info,
            lambda account: profile.upload_certificate(
                context.session,
                account=account,
                filename=input.filename,
                content_base64=input.content_base64,
                now=context.clock.now(),
                actor=context.actor,
            ),
        )

    @strawberry.mutation(
        description=(
            "Ask for a VAT invoice of at most Account.invoiceable, settled consumption not yet invoiced; "
            "a real-name verified account only (AUTH-3, INV-2 to INV-4)."
        ),
        extensions=[Requires(INVOICE_REQUESTERS)],
    )
    async def request_invoice(self, info: AccordInfo, input: RequestInvoiceInput) -> InvoicePayload:
        context = info.context

        async def call():
            return await invoices.request_invoice(
                context.session,
                account=await own_account(context),
                type=input.type,
                amount=input.amount,
                now=context.clock.now(),
                by=context.actor.principal,
            )

        return await run_mutation(info, payload=InvoicePayload, call=call, ok=_invoice_payload)

    @strawberry.mutation(description="Issue a requested invoice (INV-2).", extensions=[Requires(FINANCE)])
    async def issue_invoice(self, info: AccordInfo, input: IdInput) -> InvoicePayload:
        return await _finance_step(info, input, invoices.issue_invoice)

    @strawberry.mutation(
        description="The issued invoice reached the customer (INV-5 then needs its paper back to void it).",
        extensions=[Requires(FINANCE)],
    )
    async def mark_invoice_delivered(self, info: AccordInfo, input: IdInput) -> InvoicePayload:
        return await _finance_step(info, input, invoices.mark_delivered)

    @strawberry.mutation(
        description=(
            "The customer certified the delivered invoice for tax deduction; reversing it then needs the "
            "red-letter information form (INV-5)."
        ),
        extensions=[Requires(INVOICE_REQUESTERS)],
    )
    async def mark_invoice_certified(self, info: AccordInfo, input: IdInput) -> InvoicePayload:
        context = info.context
        return await run_mutation(
            info,
            payload=InvoicePayload,
            target=str(input.id),
            call=lambda: invoices.mark_certified(
                context.session,
                invoice_id=key_of(input.id, "Invoice"),
                account_id=context.principal.account_id,
                now=context.clock.now(),
                by=context.actor.principal,
            ),
            ok=_invoice_payload,
        )

    @strawberry.mutation(
        description=(
            "Cancel, void or reverse an invoice by INV-5's path; DOCUMENT_REQUIRED names a missing document, and "
            "no refund is paid until the reversal is complete. A reversed issued invoice leaves a corrected one "
            "for the actual consumption, issued from the next month."
        ),
        extensions=[Requires(INVOICE_REQUESTERS)],
    )
    async def request_invoice_reversal(self, info: AccordInfo, input: InvoiceReversalInput) -> InvoicePayload:
        context = info.context
        return await run_mutation(
            info,
            payload=InvoicePayload,
            target=str(input.id),
            call=lambda: reversals.request_reversal(
                context.session,
                invoice_id=key_of(input.id, "Invoice"),
                account_id=context.principal.account_id,
                request=reversals.ReversalRequest(
                    reason=input.reason,
                    paper_returned=bool(input.paper_returned),
                    lost=bool(input.lost),
                    document=None if input.document is None else input.document.value,
                    document_base64=input.document_base64,
                ),
                now=context.clock.now(),
                by=context.actor.principal,
            ),
            ok=_invoice_payload,
        )
