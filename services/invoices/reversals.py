"""INV-5 reversals (discount, return, refund), the four paths of agreement 5.4:

- not yet issued, or issued but not delivered: cancel, no documents (5.4.3);
- delivered, issued this month (Asia/Shanghai) and not certified for deduction: the customer
  returns the paper invoice, then it is voided (5.4.1);
- certified for deduction, or the month of issue has passed: the red-letter information form
  (开具红字增值税专用发票信息表) before a red-letter invoice is issued (5.4.2);
- lost: the tax authority's loss report (挂失/损毁发票清单) (5.4.4).

A missing document refuses the reversal with DOCUMENT_REQUIRED naming it: nothing changes and
no refund is paid (services.ledger.refunds asks ``refund_blocker``). A completed reversal of an
issued invoice leaves a corrected invoice for the actual consumption, to be issued from the
first day of the next month; the remaining cash balance may then be refunded (PRE-6).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, Invoice, InvoiceReversal, InvoiceState, ReversalPath
from services import events
from services.accounts import validation
from services.batch import locked
from services.clock import first_of_next_month, local_date
from services.errors import InvalidState, NotFound
from services.invoices import documents
from services.invoices.errors import DocumentRequired
from services.invoices.invoices import LIVE, invoiced_fen, one_invoiceable_fen, record_state, settled_fen
from services.money import fen_to_yuan
from services.scoped import one_in_scope

RED_LETTER_INFO_FORM = "RED_LETTER_INFO_FORM"
LOSS_REPORT = "LOSS_REPORT"
PAPER_INVOICE = "PAPER_INVOICE"

# What each path needs, named as the customer knows it.
DOCUMENT_NAMES = {
    PAPER_INVOICE: "the returned paper invoice (退回的发票原件; set paperReturned)",
    RED_LETTER_INFO_FORM: "the red-letter information form (开具红字增值税专用发票信息表, RED_LETTER_INFO_FORM)",
    LOSS_REPORT: "the tax authority's loss report (挂失/损毁发票清单, LOSS_REPORT)",
}
_NEEDS = {
    ReversalPath.CANCEL: None,
    ReversalPath.VOID: PAPER_INVOICE,
    ReversalPath.RED_LETTER: RED_LETTER_INFO_FORM,
    ReversalPath.LOSS_REPORT: LOSS_REPORT,
}


def same_month(a: datetime, b: datetime) -> bool:
    """Months are Asia/Shanghai months: 23:30 on the 31st in Shanghai is still that month."""
    first, second = local_date(a), local_date(b)
    return (first.year, first.month) == (second.year, second.month)


def path_for(invoice: Invoice, *, now: datetime, lost: bool) -> ReversalPath:
    if invoice.state in (InvoiceState.REQUESTED, InvoiceState.ISSUED):
        return ReversalPath.CANCEL
    if invoice.state != InvoiceState.DELIVERED:
        raise InvalidState(f"the invoice is {invoice.state} already", field=["id"])
    if lost:
        return ReversalPath.LOSS_REPORT
    if invoice.certified_at is not None or not same_month(invoice.issued_at, now):
        return ReversalPath.RED_LETTER
    return ReversalPath.VOID


@dataclass(frozen=True, slots=True)
class ReversalRequest:
    reason: str
    paper_returned: bool = False
    lost: bool = False
    document: str | None = None
    document_base64: str | None = None


def _missing(path: ReversalPath, request: ReversalRequest) -> DocumentRequired | None:
    needed = _NEEDS[path]
    if needed is None:
        return None
    if needed == PAPER_INVOICE:
        if request.paper_returned:
            return None
        field = ["paperReturned"]
    elif request.document == needed and request.document_base64:
        return None
    else:
        field = ["documentBase64"] if request.document == needed else ["document"]
    return DocumentRequired(f"this reversal ({path}) needs {DOCUMENT_NAMES[needed]} (INV-5)", field=field)


async def request_reversal(
    session: AsyncSession,
    *,
    invoice_id: uuid.UUID,
    account_id: uuid.UUID,
    request: ReversalRequest,
    now: datetime,
    by: str,
) -> Invoice:
    """Take the invoice's path; refuse with DOCUMENT_REQUIRED while its document is missing;
    otherwise void or reverse it now, and leave the corrected invoice for the next month."""
    reason = validation.text(request.reason, "reason", max_length=2000)
    if await one_in_scope(session, Invoice, invoice_id, account_id=account_id) is None:
        raise NotFound("no such invoice", field=["id"])
    # The lock order: the account (the invoiceable amount), then the invoice.
    await locked(session, Account, account_id)
    invoice = await one_in_scope(session, Invoice, invoice_id, account_id=account_id, lock=True)
    path = path_for(invoice, now=now, lost=request.lost)
    if (refusal := _missing(path, request)) is not None:
        raise refusal
    sha256 = None
    if path in (ReversalPath.RED_LETTER, ReversalPath.LOSS_REPORT):
        upload = documents.check(request.document_base64, filename=f"{request.document}.bin", field="documentBase64")
        sha256 = await documents.store(session, upload, now=now)
    was_issued = invoice.state != InvoiceState.REQUESTED
    invoice.state = InvoiceState.VOIDED if path in (ReversalPath.CANCEL, ReversalPath.VOID) else InvoiceState.REVERSED
    invoice.reversal_path = path
    record_state(session, invoice, at=now, by=by, note=f"{path}: {reason}"[:500])
    await session.flush()
    corrected = await _corrected_invoice(session, invoice, now=now, by=by) if was_issued else None
    session.add(
        InvoiceReversal(
            invoice_id=invoice.id,
            account_id=account_id,
            path=path,
            reason=reason,
            paper_returned=request.paper_returned,
            document_kind=_NEEDS[path] if sha256 else None,
            document_sha256=sha256,
            completed_at=now,
            completed_by=by,
            corrected_invoice_id=None if corrected is None else corrected.id,
        )
    )
    await events.record(
        session,
        account_id=account_id,
        type="invoice.reversed",
        at=now,
        data={
            "invoiceId": str(invoice.id),
            "path": path,
            "state": invoice.state,
            "amount": str(fen_to_yuan(invoice.amount_fen)),
            "correctedInvoiceId": None if corrected is None else str(corrected.id),
        },
    )
    await session.flush()
    return invoice


async def _corrected_invoice(session: AsyncSession, reversed_: Invoice, *, now: datetime, by: str) -> Invoice | None:
    """The invoice for the actual consumption (at most what the reversed one covered), issued
    from the first day of the next month (INV-5)."""
    amount = min(reversed_.amount_fen, await one_invoiceable_fen(session, reversed_.account_id))
    if amount <= 0:
        return None
    corrected = Invoice(
        account_id=reversed_.account_id,
        type=reversed_.type,
        amount_fen=amount,
        requested_at=now,
        requested_by=by,
        corrects_id=reversed_.id,
        not_before=first_of_next_month(local_date(now)),
    )
    session.add(corrected)
    await session.flush()
    record_state(session, corrected, at=now, by=by, note=f"corrects invoice {reversed_.id}")
    return corrected


async def refund_blocker(session: AsyncSession, account_id: uuid.UUID, *, now: datetime) -> DocumentRequired | None:
    """INV-5: no refund is paid while the account's live invoices cover more than its settled
    consumption (a discount or return after invoicing): such an invoice must be reversed first,
    and the refusal names the document its reversal needs."""
    settled = (await settled_fen(session, [account_id])).get(account_id, 0)
    invoiced = (await invoiced_fen(session, [account_id])).get(account_id, 0)
    if invoiced <= settled:
        return None
    newest = await session.scalar(
        select(Invoice)
        .where(Invoice.account_id == account_id, Invoice.state.in_(LIVE))
        .order_by(Invoice.id.desc())
        .limit(1)
    )
    needed = _NEEDS[path_for(newest, now=now, lost=False)]
    what = "its cancellation" if needed is None else DOCUMENT_NAMES[needed]
    return DocumentRequired(
        f"invoices of {fen_to_yuan(invoiced)} exceed the settled consumption of {fen_to_yuan(settled)}: "
        f"no refund before the invoice is reversed, which needs {what} (INV-5)"
    )
