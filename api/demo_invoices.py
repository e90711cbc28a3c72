"""The demo's VAT invoices (issue 13), made by the real services: 深圳示例音视频's invoice
profile with its general-taxpayer certificate on file, and an invoice in each state of its
settled consumption: REQUESTED, ISSUED, DELIVERED (certified for deduction), VOIDED (the paper
came back within the month, leaving a corrected invoice for next month) and REVERSED (lost,
with the tax authority's loss report)."""

import base64

from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, InvoiceType
from services.accounts.validation import uscc_check_char
from services.audit import Actor
from services.clock import Clock
from services.invoices import invoices, profile, reversals
from services.money import fen_to_yuan

# A minimal, valid PDF: the scan a demo holder would upload (recognised by content, INV-3).
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
HOLDER = "user:holder@shenzhen-rtc.demo"
FINANCE = "staff:finance@accord.demo"


async def seed_invoices(session: AsyncSession, *, shenzhen: Account, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    await profile.set_profile(
        session,
        account=shenzhen,
        title="深圳示例音视频科技有限公司",
        taxpayer_id=shenzhen_credit_code(),
        address_phone="深圳市南山区科技园 0755-86001234",
        bank_account="招商银行深圳科技园支行 755900000000001",
        now=now,
        actor=actor,
    )
    await profile.upload_certificate(
        session,
        account=shenzhen,
        filename="一般纳税人资格证明.pdf",
        content_base64=base64.b64encode(DEMO_PDF).decode(),
        now=now,
        actor=actor,
    )
    share = await invoices.one_invoiceable_fen(session, shenzhen.id) // 10
    if share <= 0:
        return  # no settled consumption (the bills need the calendar, T-3): nothing to invoice

    async def made(type: InvoiceType, *, issue: bool = True, deliver: bool = True):
        invoice = await invoices.request_invoice(
            session, account=shenzhen, type=type, amount=fen_to_yuan(share), now=now, by=HOLDER
        )
        if issue:
            await invoices.issue_invoice(session, invoice_id=invoice.id, now=now, by=FINANCE)
        if issue and deliver:
            await invoices.mark_delivered(session, invoice_id=invoice.id, now=now, by=FINANCE)
        return invoice

    await made(InvoiceType.VAT_GENERAL, issue=False)  # REQUESTED
    await made(InvoiceType.VAT_SPECIAL, deliver=False)  # ISSUED
    certified = await made(InvoiceType.VAT_SPECIAL)  # DELIVERED
    await invoices.mark_certified(session, invoice_id=certified.id, account_id=shenzhen.id, now=now, by=HOLDER)
    returned = await made(InvoiceType.VAT_GENERAL)
    await reversals.request_reversal(
        session,
        invoice_id=returned.id,
        account_id=shenzhen.id,
        request=reversals.ReversalRequest(reason="发票抬头有误，退回重开", paper_returned=True),
        now=now,
        by=HOLDER,
    )  # VOIDED, and a corrected invoice REQUESTED for next month
    lost = await made(InvoiceType.VAT_SPECIAL)
    await reversals.request_reversal(
        session,
        invoice_id=lost.id,
        account_id=shenzhen.id,
        request=reversals.ReversalRequest(
            reason="发票邮寄遗失",
            lost=True,
            document=reversals.LOSS_REPORT,
            document_base64=base64.b64encode(DEMO_PDF + b"% loss report\n").decode(),
        ),
        now=now,
        by=HOLDER,
    )  # REVERSED


def shenzhen_credit_code() -> str:
    """The account's own credit code (api/demo.py's number base and its check character)."""
    first17 = "91440300MA5FXK1R3"
    return first17 + uscc_check_char(first17)
