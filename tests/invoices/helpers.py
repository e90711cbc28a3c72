"""Shared steps of the invoice tests: documents by content, settled consumption, a verified
account with an invoice profile, and the GraphQL operations."""

import base64
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import update

from models import Account, Bill, BillState, RealNameState
from tests.accounts.helpers import USCC
from tests.conftest import gql

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
TEXT = b"just some text, not a scan\n"


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


PROFILE = {
    "title": "甲公司",
    "taxpayerId": USCC,
    "addressPhone": "深圳市南山区 0755-12345678",
    "bankAccount": "招商银行 6225880000000000",
}

ACCOUNT_PAYLOAD = "account { invoiceProfile { title taxpayerId addressPhone bankAccount taxpayerCertificateOnFile taxpayerCertificateFilename taxpayerCertificatePath } } userErrors { code field message }"
SET_PROFILE = (
    "mutation S($input: InvoiceProfileInput!) { setInvoiceProfile(input: $input) { " + ACCOUNT_PAYLOAD + " } }"
)
UPLOAD = (
    "mutation U($input: UploadDocumentInput!) { uploadTaxpayerCertificate(input: $input) { " + ACCOUNT_PAYLOAD + " } }"
)
INVOICE = "invoice { id type amount state issuedAt deliveredAt certifiedForDeduction reversalPath corrects notBefore history { state by note } } userErrors { code field message }"
REQUEST = "mutation R($input: RequestInvoiceInput!) { requestInvoice(input: $input) { " + INVOICE + " } }"
ISSUE = "mutation I($id: ID!) { issueInvoice(input: {id: $id}) { " + INVOICE + " } }"
DELIVER = "mutation D($id: ID!) { markInvoiceDelivered(input: {id: $id}) { " + INVOICE + " } }"
CERTIFY = "mutation C($id: ID!) { markInvoiceCertified(input: {id: $id}) { " + INVOICE + " } }"
REVERSE = "mutation V($input: InvoiceReversalInput!) { requestInvoiceReversal(input: $input) { " + INVOICE + " } }"
INVOICES = """
{ account { invoiceable invoices(first: 100) { edges { node { id type amount state certifiedForDeduction
  corrects notBefore history { state } } } }
  invoiceProfileChanges { edges { node { field newValue changedBy } } } } }
"""


async def settled_bill(session, account_id: uuid.UUID, total_fen: int, *, period: date = date(2026, 8, 1)) -> Bill:
    """A settled month's bill (the bill cycle itself is tested in tests/billing)."""
    at = datetime(period.year, period.month, 28, tzinfo=UTC)
    bill = Bill(
        account_id=account_id,
        period=period,
        state=BillState.SETTLED,
        total_fen=total_fen,
        issued_at=at,
        delivered_at=at,
        dispute_deadline=at,
        settled_at=at,
        paid_fen=total_fen,
    )
    session.add(bill)
    await session.commit()
    return bill


async def verified(session, account_id: uuid.UUID) -> None:
    """ACC-4 passed (tested through the API in tests/accounts)."""
    await session.execute(
        update(Account).where(Account.id == account_id).values(real_name_state=RealNameState.VERIFIED)
    )
    await session.commit()


async def ready_to_invoice(client, principals, session, *, settled_fen: int = 100_000, certificate: bool = True):
    """Holder A's account verified, with a profile (and the certificate), and settled consumption."""
    await verified(session, principals.account_a.id)
    holder = principals.holder_a.headers
    body = await gql(client, SET_PROFILE, {"input": PROFILE}, headers=holder)
    assert body["data"]["setInvoiceProfile"]["userErrors"] == [], body
    if certificate:
        body = await gql(client, UPLOAD, {"input": {"filename": "cert.pdf", "contentBase64": b64(PDF)}}, headers=holder)
        assert body["data"]["uploadTaxpayerCertificate"]["userErrors"] == [], body
    if settled_fen:
        await settled_bill(session, principals.account_a.id, settled_fen)


async def requested(client, principals, amount: str = "1000.00", type: str = "VAT_SPECIAL", headers=None) -> dict:
    body = await gql(
        client, REQUEST, {"input": {"type": type, "amount": amount}}, headers=headers or principals.holder_a.headers
    )
    payload = body["data"]["requestInvoice"]
    assert payload["userErrors"] == [], payload
    return payload["invoice"]


async def finance(client, principals, operation: str, invoice_id: str) -> dict:
    body = await gql(client, operation, {"id": invoice_id}, headers=principals.staff["FINANCE"].headers)
    (payload,) = body["data"].values()
    assert payload["userErrors"] == [], payload
    return payload["invoice"]


async def delivered(client, principals, amount: str = "1000.00", type: str = "VAT_SPECIAL") -> dict:
    invoice = await requested(client, principals, amount, type)
    await finance(client, principals, ISSUE, invoice["id"])
    return await finance(client, principals, DELIVER, invoice["id"])


def payload_of(body: dict) -> dict:
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    return payload
