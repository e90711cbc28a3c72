"""INV-2 to INV-4: invoices for settled consumption, requested by a real-name verified account,
issued and delivered by FINANCE, certified for deduction by the customer."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Account,
    Bill,
    BillState,
    Invoice,
    InvoiceState,
    InvoiceStateChange,
    InvoiceType,
    RealNameState,
)
from services import events
from services.batch import locked, rows_by
from services.clock import local_date
from services.errors import InvalidState, NotFound, RealNameRequired
from services.invoices.errors import ExceedsInvoiceable, TaxpayerCertificateRequired
from services.invoices.profile import profile_of
from services.money import amount_to_fen, fen_to_yuan
from services.pagination import Page, keyset_page
from services.scoped import one_in_scope

# An invoice in these states counts against the invoiceable amount (INV-4).
LIVE = (InvoiceState.REQUESTED, InvoiceState.ISSUED, InvoiceState.DELIVERED)


async def settled_fen(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """INV-4: the settled bills' totals. Prepayments (top-ups) are never consumption."""
    rows = await session.execute(
        select(Bill.account_id, func.coalesce(func.sum(Bill.total_fen), 0))
        .where(Bill.account_id.in_(account_ids), Bill.state == BillState.SETTLED)
        .group_by(Bill.account_id)
    )
    return {account_id: int(total) for account_id, total in rows.all()}


async def invoiced_fen(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """What live invoices (requested, issued or delivered) already cover."""
    rows = await session.execute(
        select(Invoice.account_id, func.coalesce(func.sum(Invoice.amount_fen), 0))
        .where(Invoice.account_id.in_(account_ids), Invoice.state.in_(LIVE))
        .group_by(Invoice.account_id)
    )
    return {account_id: int(total) for account_id, total in rows.all()}


async def invoiceable_fen(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """INV-4 for many accounts in two queries: settled consumption not yet invoiced (never below 0)."""
    keys = list(account_ids)
    settled, invoiced = await settled_fen(session, keys), await invoiced_fen(session, keys)
    return {key: max(settled.get(key, 0) - invoiced.get(key, 0), 0) for key in keys}


async def one_invoiceable_fen(session: AsyncSession, account_id: uuid.UUID) -> int:
    return (await invoiceable_fen(session, [account_id]))[account_id]


def record_state(session: AsyncSession, invoice: Invoice, *, at: datetime, by: str, note: str | None = None) -> None:
    session.add(InvoiceStateChange(invoice_id=invoice.id, state=invoice.state, at=at, by=by, note=note))


async def request_invoice(
    session: AsyncSession, *, account: Account, type: InvoiceType, amount: Decimal, now: datetime, by: str
) -> Invoice:
    """AUTH-3 a verified holder; INV-1 a profile; INV-3 the certificate for a special invoice;
    INV-4 at most the invoiceable amount, also against concurrent requests: the account row is
    locked before the amount is read (the ledger's lock order: the account first)."""
    fen = amount_to_fen(amount, "amount")
    if account.real_name_state != RealNameState.VERIFIED:
        raise RealNameRequired("invoices are issued to a real-name verified holder only (AUTH-3)")
    profile = await profile_of(session, account.id)
    if profile is None:
        raise InvalidState("set the invoice profile first (INV-1)", field=["type"])
    if type == InvoiceType.VAT_SPECIAL and profile.certificate_sha256 is None:
        raise TaxpayerCertificateRequired(
            "a special VAT invoice needs the general-taxpayer qualification certificate on file (INV-3)",
            field=["type"],
        )
    await locked(session, Account, account.id)
    available = await one_invoiceable_fen(session, account.id)
    if fen > available:
        raise ExceedsInvoiceable(
            f"at most {fen_to_yuan(available)} of settled consumption is not yet invoiced (INV-4)", field=["amount"]
        )
    invoice = Invoice(account_id=account.id, type=type, amount_fen=fen, requested_at=now, requested_by=by)
    session.add(invoice)
    await session.flush()
    record_state(session, invoice, at=now, by=by)
    await session.flush()
    return invoice


async def _locked_invoice(session: AsyncSession, invoice_id: uuid.UUID, *, account_id: uuid.UUID | None) -> Invoice:
    invoice = await one_in_scope(session, Invoice, invoice_id, account_id=account_id, lock=True)
    if invoice is None:
        raise NotFound("no such invoice", field=["id"])
    return invoice


async def issue_invoice(session: AsyncSession, *, invoice_id: uuid.UUID, now: datetime, by: str) -> Invoice:
    """FINANCE issues a requested invoice; a corrected one (INV-5) not before the next month."""
    invoice = await _locked_invoice(session, invoice_id, account_id=None)
    if invoice.state != InvoiceState.REQUESTED:
        raise InvalidState(f"the invoice is {invoice.state}, not REQUESTED", field=["id"])
    if invoice.not_before is not None and local_date(now) < invoice.not_before:
        raise InvalidState(
            f"a corrected invoice is issued in the month after the reversal, from {invoice.not_before} (INV-5)",
            field=["id"],
        )
    invoice.state, invoice.issued_at, invoice.issued_by = InvoiceState.ISSUED, now, by
    record_state(session, invoice, at=now, by=by)
    await events.record(
        session,
        account_id=invoice.account_id,
        type="invoice.issued",
        at=now,
        data={"invoiceId": str(invoice.id), "type": invoice.type, "amount": str(fen_to_yuan(invoice.amount_fen))},
    )
    await session.flush()
    return invoice


async def mark_delivered(session: AsyncSession, *, invoice_id: uuid.UUID, now: datetime, by: str) -> Invoice:
    """FINANCE records that the paper (or electronic) invoice reached the customer."""
    invoice = await _locked_invoice(session, invoice_id, account_id=None)
    if invoice.state != InvoiceState.ISSUED:
        raise InvalidState(f"the invoice is {invoice.state}, not ISSUED", field=["id"])
    invoice.state, invoice.delivered_at = InvoiceState.DELIVERED, now
    record_state(session, invoice, at=now, by=by)
    await session.flush()
    return invoice


async def mark_certified(
    session: AsyncSession, *, invoice_id: uuid.UUID, account_id: uuid.UUID, now: datetime, by: str
) -> Invoice:
    """The customer certified the delivered invoice for tax deduction (INV-5 then needs the
    red-letter information form to reverse it)."""
    invoice = await _locked_invoice(session, invoice_id, account_id=account_id)
    if invoice.state != InvoiceState.DELIVERED:
        raise InvalidState(f"the invoice is {invoice.state}, not DELIVERED", field=["id"])
    if invoice.certified_at is not None:
        raise InvalidState("the invoice is certified for deduction already", field=["id"])
    invoice.certified_at = now
    record_state(session, invoice, at=now, by=by, note="certified for deduction")
    await session.flush()
    return invoice


async def invoice_in_scope(session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None) -> Invoice | None:
    return await one_in_scope(session, Invoice, key, account_id=account_id)


async def page_invoices(
    session: AsyncSession, *, account_id: uuid.UUID, first: int, after: uuid.UUID | None
) -> Page[Invoice]:
    query = select(Invoice).where(Invoice.account_id == account_id)
    return await keyset_page(session, query, Invoice.id, first=first, after=after)


async def histories_of(session: AsyncSession, invoice_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list]:
    """Every invoice's state changes, oldest first, in one query (a DataLoader's batch)."""
    return await rows_by(session, InvoiceStateChange, InvoiceStateChange.invoice_id, invoice_ids)
